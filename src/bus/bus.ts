/**
 * The bus contract. Two implementations share it unchanged: the embedded in-process bus
 * (default, no services) and Apache Kafka through kafkajs. The contract test suite in
 * test/bus/contract.ts runs against both.
 *
 * Semantics (Kafka's, kept on the embedded bus too):
 * - A topic has a fixed number of partitions; a record's key (the stream id) picks the partition
 *   with murmur2 like Kafka's default partitioner, so the order of one key's records holds.
 * - Consumers join a group; the group's partitions are split between its members and
 *   rebalanced when a member joins or leaves.
 * - At-least-once: a batch's offsets are committed only after its handler resolved (that is,
 *   after every output the handler produced was published). A handler that throws gets the same
 *   batch again (after a backoff), on this or another member.
 */
export type Headers = Record<string, string>;

export interface ProduceRecord {
  key: string;
  value: Buffer;
  headers?: Headers;
}

export interface BusMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  value: Buffer;
  headers: Headers;
  /** Append time on the bus, epoch ms. */
  timestamp: number;
}

/** All messages of one handler call come from one partition, in offset order. */
export interface MessageBatch {
  topic: string;
  partition: number;
  messages: BusMessage[];
}

export interface TopicSpec {
  name: string;
  partitions: number;
}

export interface Producer {
  /** Resolves when every record is durably appended (Kafka: acknowledged by the broker). */
  send(topic: string, records: ProduceRecord[]): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts. Default: earliest. */
  fromBeginning?: boolean;
  /** Upper bound of messages per handler call. */
  maxBatchSize?: number;
}

export type BatchHandler = (batch: MessageBatch) => Promise<void>;

export interface Consumer {
  /** Starts consuming; resolves once the consumer has joined its group. */
  run(handler: BatchHandler): Promise<void>;
  /** Drains the batch in flight, commits, leaves the group. */
  stop(): Promise<void>;
  /** Partitions currently assigned to this member, per topic. */
  assignment(): Record<string, number[]>;
}

export interface Bus {
  readonly kind: 'embedded' | 'kafka';
  /** Largest value accepted by send(); larger records are refused with an error. */
  readonly maxMessageBytes: number;
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  producer(): Producer;
  consumer(options: ConsumerOptions): Consumer;
  /** Committed-offset lag of a group on a topic (sum over partitions). */
  lag(groupId: string, topic: string): Promise<number>;
  close(): Promise<void>;
}

export class MessageTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`message of ${bytes} bytes exceeds the bus limit of ${limit} bytes`);
    this.name = 'MessageTooLargeError';
  }
}
