/**
 * What the Kafka buses share whatever client they run on (src/bus/kafka.ts on kafkajs,
 * src/bus/platformatic-kafka.ts on @platformatic/kafka): the options, the namespace rule and the
 * client-side size checks. Nothing here loads a Kafka client.
 */
import { registerSecret } from '../core/redact.js';
import { MessageTooLargeError, type ProduceRecord } from './bus.js';

/** The Kafka clients a bus can run on. */
export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClient = (typeof KAFKA_CLIENTS)[number];

/** SASL credentials for the brokers (bus.sasl in the config). The password is never logged or printed (src/core/redact.ts). */
export interface KafkaSasl {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  password: string;
}

export interface KafkaBusOptions {
  brokers: string[];
  /** SASL authentication (SASL_PLAINTEXT, or SASL_SSL with `ssl`). */
  sasl?: KafkaSasl;
  /** TLS to the brokers. Default false. */
  ssl?: boolean;
  clientId?: string;
  /** Largest value send() accepts (default 8 MiB, as the embedded bus). */
  maxMessageBytes?: number;
  /** Largest whole record (value + key + headers) the broker accepts (its message.max.bytes). */
  brokerMaxRecordBytes?: number;
  /** Bytes per produce request; a send() with more is split into ordered requests. */
  requestBytes?: number;
  /** Partitions of one consumer processed at the same time (order holds within a partition). */
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  /** Longest a fetch waits for new data (the broker answers at once when data arrives). */
  maxWaitTimeMs?: number;
  /** Partitions of a topic a consumer subscribes to before anyone created it (default 4, as the embedded bus). */
  defaultPartitions?: number;
  /**
   * Prefix of every topic and consumer group on the broker (e.g. 'bench-1732570000.'), so runs sharing a
   * broker never read each other's records. Callers keep using plain topic names; delivered messages carry
   * them too. Default '' (none). Letters, digits, '.', '_' and '-'.
   */
  namespace?: string;
  /**
   * Idempotent producer (KIP-98: the broker drops a retried batch it already appended, so a retry
   * never duplicates or reorders records). Default true.
   */
  idempotent?: boolean;
}

/** The tuning both Kafka buses fill in with the same defaults. */
export type KafkaTuning = Required<Omit<KafkaBusOptions, 'clientId' | 'maxMessageBytes' | 'brokerMaxRecordBytes' | 'namespace' | 'sasl' | 'ssl'>> & { sasl?: KafkaSasl; ssl: boolean };

export function kafkaTuning(options: KafkaBusOptions): KafkaTuning {
  registerSecret(options.sasl?.password);
  return {
    brokers: options.brokers,
    ...(options.sasl ? { sasl: options.sasl } : {}),
    ssl: options.ssl ?? false,
    requestBytes: options.requestBytes ?? 4 * 1024 * 1024,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 500,
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 20_000,
    maxWaitTimeMs: options.maxWaitTimeMs ?? 25,
    defaultPartitions: options.defaultPartitions ?? 4,
    idempotent: options.idempotent ?? true,
  };
}

/** SASL and TLS options of the @platformatic/kafka clients (Admin, Producer, Consumer). */
export function platformaticConnection(t: Pick<KafkaTuning, 'sasl' | 'ssl'>): { sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string }; tls?: Record<string, never> } {
  return {
    ...(t.sasl ? { sasl: { mechanism: t.sasl.mechanism.toUpperCase() as 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512', username: t.sasl.username, password: t.sasl.password } } : {}),
    ...(t.ssl ? { tls: {} } : {}),
  };
}

/** The namespace, checked; throws a clear error for a bad one. */
export function checkNamespace(namespace: string | undefined): string {
  const ns = namespace ?? '';
  if (!/^[A-Za-z0-9._-]*$/.test(ns) || ns.length > 100) {
    throw new Error(`Kafka namespace "${ns}" may hold only letters, digits, '.', '_' and '-' (at most 100)`);
  }
  return ns;
}

/** Overhead of one record in a v2 record batch, beyond key, value and header bytes (generous). */
export const RECORD_OVERHEAD = 64;

export function recordBytes(r: ProduceRecord): number {
  let n = r.value.length + Buffer.byteLength(r.key) + RECORD_OVERHEAD;
  if (r.headers) for (const [k, v] of Object.entries(r.headers)) n += Buffer.byteLength(k) + Buffer.byteLength(v) + 8;
  return n;
}

/** Sizes of the records of one send(), or a MessageTooLargeError before anything is sent. */
export function checkedSizes(records: ProduceRecord[], maxMessageBytes: number, brokerMaxRecordBytes: number): number[] {
  return records.map((r) => {
    if (r.value.length > maxMessageBytes) throw new MessageTooLargeError(r.value.length, maxMessageBytes);
    const size = recordBytes(r);
    if (size > brokerMaxRecordBytes) throw new MessageTooLargeError(size, brokerMaxRecordBytes);
    return size;
  });
}

/** How long a consumer's `run` waits for its first group assignment before it gives up. */
export const JOIN_TIMEOUT_MS = 60_000;

/**
 * A consumer's `run`: start the member, then wait until the group assigned it (`joined`) or fail after
 * JOIN_TIMEOUT_MS; on any failure the consumer is stopped before the error is rethrown.
 */
export async function startAndAwaitJoin(groupId: string, joined: Promise<void>, start: () => Promise<void>, stop: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await start();
    await Promise.race([
      joined,
      new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`consumer of group ${groupId} did not join within ${JOIN_TIMEOUT_MS} ms`)), JOIN_TIMEOUT_MS);
      }),
    ]);
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** The consumer's assignment with the caller's topic names and partitions in ascending order. */
export function sortedAssignment(current: Record<string, number[]>, localTopic: (topic: string) => string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [t, ps] of Object.entries(current)) out[localTopic(t)] = [...ps].sort((a, b) => a - b);
  return out;
}

/** Delay before a failed batch is delivered again: 100 ms doubling per attempt, at most 2 s. */
export function redeliveryDelayMs(attempt: number): number {
  return Math.min(2_000, 50 * 2 ** Math.min(attempt, 6));
}
