/**
 * The Bus contract on Apache Kafka through kafkajs. kafkajs is unmaintained, so nothing of it
 * leaks out of this file: callers see only the Bus interface.
 *
 * Producer: one connected kafkajs producer per bus, acks=all, idempotent unless turned off, no
 * compression, murmur2 default partitioner (the same partition as Kafka's Java client and the
 * embedded bus). A send() is split into requests of at most `requestBytes`, sent in order, so
 * one key's records keep their order and no record batch exceeds the broker's limit.
 *
 * Consumer: eachBatch without auto-resolve. A fetched batch is cut into handler calls of at
 * most `maxBatchSize`; offsets are resolved and committed only after the handler resolved
 * (at-least-once). A handler that throws leaves its offsets unresolved: after a backoff the
 * batch returns to kafkajs, which fetches again from the last resolved offset, so the same
 * messages come back. A kafkajs crash it would not restart from is restarted here, so a consumer
 * never gives up while it is running.
 */
// Must come before 'kafkajs': it replaces two kafkajs modules before kafkajs loads them.
import {
  type Admin,
  type Consumer as KConsumer,
  type EachBatchPayload,
  type IHeaders,
  type ISocketFactory,
  type KafkaMessage,
  type Producer as KProducer,
  Kafka,
  type LogEntry,
  logLevel,
  Partitioners,
  type SASLOptions,
} from 'kafkajs';
import { connect } from 'node:net';
import type { Logger } from 'pino';
import {
  type BatchHandler,
  type Bus,
  type BusMessage,
  type Consumer,
  type ConsumerOptions,
  type Headers,
  type Producer,
  type ProduceRecord,
  type TopicSpec,
} from './bus.js';
import { BROKER_MESSAGE_MAX_BYTES } from './kafka-broker.js';
import { type KafkaBusOptions, type KafkaTuning, checkNamespace, checkedSizes, kafkaTuning, redeliveryDelayMs, sortedAssignment, startAndAwaitJoin } from './kafka-common.js';
import { childLogger } from '../core/logger.js';

export type { KafkaBusOptions } from './kafka-common.js';

export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  readonly client = 'kafkajs' as const;
  readonly maxMessageBytes: number;
  readonly brokerMaxRecordBytes: number;
  private readonly kafka: Kafka;
  private readonly log: Logger;
  private readonly options: KafkaTuning;
  /** Topic / group prefix on the broker (KafkaBusOptions.namespace). */
  readonly namespace: string;
  /** Whether the producer is idempotent (KafkaBusOptions.idempotent). */
  readonly idempotent: boolean;
  private producerP?: Promise<KProducer>;
  private adminP?: Promise<Admin>;
  private readonly consumers = new Set<KafkaGroupConsumer>();
  private closed = false;

  constructor(options: KafkaBusOptions) {
    if (!options.brokers?.length) throw new Error('KafkaBus needs at least one broker (host:port)');
    this.maxMessageBytes = options.maxMessageBytes ?? 8 * 1024 * 1024;
    this.brokerMaxRecordBytes = options.brokerMaxRecordBytes ?? BROKER_MESSAGE_MAX_BYTES;
    this.namespace = checkNamespace(options.namespace);
    this.options = kafkaTuning(options);
    this.idempotent = this.options.idempotent;
    this.log = childLogger({ component: 'kafka-bus' });
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'streamlens',
      brokers: options.brokers,
      connectionTimeout: 5_000,
      requestTimeout: 30_000,
      retry: { initialRetryTime: 100, maxRetryTime: 5_000, retries: 8 },
      logLevel: logLevel.WARN,
      // TLS: kafkajs' own socket factory (ours is plain TCP with Nagle off).
      ...(this.options.ssl ? { ssl: true } : { socketFactory: noDelaySocketFactory }),
      ...(this.options.sasl ? { sasl: { mechanism: this.options.sasl.mechanism, username: this.options.sasl.username, password: this.options.sasl.password } as SASLOptions } : {}),
      logCreator: () => (entry: LogEntry) => this.kafkajsLog(entry),
    });
  }

  private kafkajsLog({ level, log }: LogEntry): void {
    const { message, ...rest } = log;
    const fields = { kafkajs: rest.logger, groupId: rest.groupId, error: rest.error };
    // kafkajs reports routine rebalances at WARN/ERROR; the bus recovers from them itself.
    const routine = /rebalanc|not aware of this member|re-joining/i.test(`${message} ${String(rest.error ?? '')}`);
    if (routine) this.log.debug(fields, `kafkajs: ${message}`);
    else if (level === logLevel.ERROR) this.log.warn(fields, `kafkajs: ${message}`);
    else if (level === logLevel.WARN) this.log.info(fields, `kafkajs: ${message}`);
    else this.log.debug(fields, `kafkajs: ${message}`);
  }

  private admin(): Promise<Admin> {
    this.assertOpen();
    this.adminP ??= (async () => {
      const a = this.kafka.admin({ retry: { retries: 8 } });
      await a.connect();
      return a;
    })().catch((e) => {
      this.adminP = undefined;
      throw e;
    });
    return this.adminP;
  }

  private connectedProducer(): Promise<KProducer> {
    this.assertOpen();
    this.producerP ??= (async () => {
      const p = this.kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: true,
        // Idempotent: kafkajs sends one request per broker at a time and numbers each partition's batches.
        idempotent: this.options.idempotent,
        ...(this.options.idempotent ? { maxInFlightRequests: 1 } : {}),
        retry: { retries: 8 },
      });
      await p.connect();
      return p;
    })().catch((e) => {
      this.producerP = undefined;
      throw e;
    });
    return this.producerP;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('bus is closed');
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    if (specs.length === 0) return;
    return this.ensureBrokerTopics(specs.map((s) => ({ ...s, name: this.namespace + s.name })));
  }

  /**
   * ensureTopics for names already in the namespace. Processes starting together create the same topics
   * at once; a creation that races another (TOPIC_ALREADY_EXISTS, or a metadata answer that does not list
   * the new partitions yet) is checked again after a short wait instead of failing the start.
   */
  private async ensureBrokerTopics(specs: TopicSpec[]): Promise<void> {
    const admin = await this.admin();
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 6; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 150 * 2 ** attempt));
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.name));
      if (missing.length === 0) return;
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((s) => ({ topic: s.name, numPartitions: s.partitions, replicationFactor: 1 })),
        });
        return;
      } catch (e) {
        const errors = (e as { errors?: Array<{ type?: string }> }).errors;
        // Created concurrently by another client: fine, the topic exists.
        if (errors?.length && errors.every((x) => x.type === 'TOPIC_ALREADY_EXISTS')) return;
        lastError = new Error(`could not create topics ${missing.map((s) => s.name).join(', ')}: ${(e as Error).message}`);
      }
    }
    throw lastError ?? new Error('could not create topics');
  }

  producer(): Producer {
    return {
      send: async (topic: string, records: ProduceRecord[]) => {
        if (records.length === 0) return;
        const sizes = checkedSizes(records, this.maxMessageBytes, this.brokerMaxRecordBytes);
        const messages = records.map((r, i) => ({ key: r.key, value: r.value, headers: r.headers, size: sizes[i] }));
        const producerP = this.connectedProducer();
        const producer = await producerP;
        // Ordered requests of bounded size: one key's records keep their order.
        let chunk: typeof messages = [];
        let chunkBytes = 0;
        const flush = async () => {
          if (chunk.length === 0) return;
          try {
            await producer.send({ topic: this.namespace + topic, acks: -1, messages: chunk.map(({ key, value, headers }) => ({ key, value, headers })) });
          } catch (e) {
            // A request that failed after its retries may still have been appended; its sequence numbers are
            // reused by kafkajs, so the broker could drop a later batch as a duplicate. A fresh producer id
            // (a new producer) starts new sequences.
            if (this.options.idempotent && this.producerP === producerP) {
              this.producerP = undefined;
              producer.disconnect().catch(() => undefined);
            }
            throw e;
          }
          chunk = [];
          chunkBytes = 0;
        };
        for (const m of messages) {
          if (chunkBytes + m.size > this.options.requestBytes) await flush();
          chunk.push(m);
          chunkBytes += m.size;
        }
        await flush();
      },
    };
  }

  consumer(options: ConsumerOptions): Consumer {
    this.assertOpen();
    // Subscribing to a topic that does not exist yet fails in kafkajs; create it first, as the embedded bus does.
    const ensure = (topics: string[]) => this.ensureBrokerTopics(topics.map((name) => ({ name, partitions: this.options.defaultPartitions })));
    const ns = this.namespace;
    const onBroker = { ...options, groupId: ns + options.groupId, topics: options.topics.map((t) => ns + t) };
    const local = (topic: string) => (topic.startsWith(ns) ? topic.slice(ns.length) : topic);
    const c = new KafkaGroupConsumer(this.kafka, onBroker, this.options, this.log, ensure, () => this.consumers.delete(c), local);
    this.consumers.add(c);
    return c;
  }

  async lag(groupId: string, topic: string): Promise<number> {
    const admin = await this.admin();
    const onBroker = this.namespace + topic;
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(onBroker),
      admin.fetchOffsets({ groupId: this.namespace + groupId, topics: [onBroker] }),
    ]);
    const committedBy = new Map<number, number>();
    for (const t of committed) for (const p of t.partitions) committedBy.set(p.partition, Number(p.offset));
    let lag = 0;
    for (const p of ends) {
      const c = committedBy.get(p.partition) ?? -1;
      const from = c >= 0 ? c : Number(p.low);
      lag += Math.max(0, Number(p.high) - from);
    }
    return lag;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.consumers].map((c) => c.stop().catch((e) => this.log.warn({ err: e }, 'consumer stop failed'))));
    this.closed = true;
    const [p, a] = [this.producerP, this.adminP];
    this.producerP = undefined;
    this.adminP = undefined;
    await Promise.all([p?.then((x) => x.disconnect()).catch(() => undefined), a?.then((x) => x.disconnect()).catch(() => undefined)]);
  }
}

/**
 * kafkajs' default sockets keep Nagle's algorithm on; with delayed ACKs that stalls small
 * requests (fetches, commits, the tail of a produce request) by ~40 ms each. Same as kafkajs'
 * factory otherwise (plaintext only: the bus has no TLS settings).
 */
const noDelaySocketFactory: ISocketFactory = ({ host, port, onConnect }) => {
  const socket = connect({ host, port, noDelay: true }, onConnect);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

function toHeaders(h: IHeaders | undefined): Headers {
  const out: Headers = {};
  if (!h) return out;
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last === undefined) continue;
    out[k] = typeof last === 'string' ? last : last.toString('utf8');
  }
  return out;
}

function toBusMessage(topic: string, partition: number, m: KafkaMessage): BusMessage {
  return {
    topic,
    partition,
    offset: Number(m.offset),
    key: m.key ? m.key.toString('utf8') : '',
    value: m.value ?? Buffer.alloc(0),
    headers: toHeaders(m.headers),
    timestamp: Number(m.timestamp),
  };
}

/** One bus consumer = one kafkajs group member, restarted here if kafkajs gives up. */
class KafkaGroupConsumer implements Consumer {
  private kc?: KConsumer;
  private handler?: BatchHandler;
  private running = false;
  private current: Record<string, number[]> = {};
  private restartTimer?: NodeJS.Timeout;
  private restarts = 0;
  private onJoin?: () => void;
  /** Consecutive failed attempts per partition, for the redelivery backoff. */
  private readonly failures = new Map<string, number>();
  private readonly maxBatch: number;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ConsumerOptions,
    private readonly tuning: KafkaTuning,
    private readonly log: Logger,
    private readonly ensureTopics: (topics: string[]) => Promise<void>,
    private readonly onStopped: () => void,
    /** Broker topic name -> the caller's (namespace removed). */
    private readonly localTopic: (topic: string) => string = (t) => t,
  ) {
    if (options.topics.length === 0) throw new Error(`consumer of group ${options.groupId} subscribes to no topic`);
    this.maxBatch = Math.max(1, options.maxBatchSize ?? 500);
  }

  assignment(): Record<string, number[]> {
    return sortedAssignment(this.current, this.localTopic);
  }

  async run(handler: BatchHandler): Promise<void> {
    if (this.running) throw new Error('consumer is already running');
    this.running = true;
    this.handler = handler;
    const joined = new Promise<void>((resolve) => (this.onJoin = resolve));
    await startAndAwaitJoin(this.options.groupId, joined, () => this.startInstance(), () => this.stop());
  }

  /** Creates, subscribes and runs a kafkajs consumer (it joins the group in the background). */
  private async startInstance(): Promise<void> {
    const kc = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.tuning.sessionTimeoutMs,
      rebalanceTimeout: this.tuning.rebalanceTimeoutMs,
      heartbeatInterval: this.tuning.heartbeatIntervalMs,
      maxWaitTimeInMs: this.tuning.maxWaitTimeMs,
      minBytes: 1,
      maxBytesPerPartition: 2 * 1024 * 1024,
      maxBytes: 16 * 1024 * 1024,
      allowAutoTopicCreation: true,
      retry: { initialRetryTime: 100, maxRetryTime: 5_000, retries: 10, restartOnFailure: async () => true },
    });
    this.kc = kc;
    kc.on(kc.events.GROUP_JOIN, (e) => {
      if (this.kc !== kc) return;
      this.current = { ...e.payload.memberAssignment };
      this.restarts = 0;
      this.onJoin?.();
    });
    kc.on(kc.events.REBALANCING, () => {
      if (this.kc === kc) this.current = {};
    });
    kc.on(kc.events.CRASH, (e) => {
      if (this.kc !== kc) return;
      this.current = {};
      const { error, restart } = e.payload;
      this.log.warn({ groupId: this.options.groupId, err: error, restart }, 'kafka consumer crashed');
      if (!restart) this.scheduleRestart(kc);
    });
    await this.ensureTopics(this.options.topics);
    await kc.connect();
    await kc.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true });
    await kc.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      autoCommitThreshold: 1,
      partitionsConsumedConcurrently: this.tuning.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /** kafkajs stopped for good after an error: start a fresh member after a backoff. */
  private scheduleRestart(dead: KConsumer): void {
    if (!this.running) return;
    const delay = Math.min(10_000, 250 * 2 ** Math.min(this.restarts++, 6));
    this.restartTimer = setTimeout(async () => {
      this.restartTimer = undefined;
      if (!this.running) return;
      await dead.disconnect().catch(() => undefined);
      try {
        await this.startInstance();
      } catch (e) {
        this.log.warn({ groupId: this.options.groupId, err: e }, 'restarting the kafka consumer failed; trying again');
        if (this.kc) this.scheduleRestart(this.kc);
      }
    }, delay);
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { partition } = batch;
    const topic = this.localTopic(batch.topic);
    const key = `${topic}\u0000${partition}`;
    const all = batch.messages;
    for (let i = 0; i < all.length; i += this.maxBatch) {
      if (!isRunning() || isStale() || !this.running) return;
      const slice = all.slice(i, i + this.maxBatch);
      const messages = slice.map((m) => toBusMessage(topic, partition, m));
      try {
        await this.handler!({ topic, partition, messages });
      } catch (e) {
        // Not resolved: kafkajs fetches again from the last resolved offset, so this chunk is redelivered.
        const attempt = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, attempt);
        this.log.warn({ topic, partition, offset: messages[0].offset, attempt, err: e }, 'handler failed; the batch will be redelivered');
        await this.backoff(redeliveryDelayMs(attempt), heartbeat, isRunning);
        return;
      }
      this.failures.delete(key);
      resolveOffset(slice[slice.length - 1].offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  }

  private async backoff(ms: number, heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && isRunning() && this.running) {
      await new Promise((r) => setTimeout(r, Math.min(100, deadline - Date.now())));
      await heartbeat();
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.restartTimer);
    const kc = this.kc;
    this.kc = undefined;
    this.current = {};
    // disconnect(): waits for the batch in flight, commits resolved offsets, leaves the group.
    await kc?.disconnect().catch((e) => this.log.warn({ groupId: this.options.groupId, err: e }, 'consumer disconnect failed'));
    this.onStopped();
  }
}
