/**
 * The Bus contract on Apache Kafka through @platformatic/kafka (maintained, pure JavaScript, no
 * native addon). Like src/bus/kafka.ts (kafkajs), nothing of the client leaks out of this file.
 *
 * Producer: one client per topic (so one stage's large records never queue another topic's), acks=all, idempotent unless turned off, no compression, and a
 * partitioner that hashes keys exactly as Kafka's Java client, kafkajs and src/bus/partitioner.ts
 * do (murmur2 & 0x7fffffff: the client's own default uses `>>> 0`, which puts about half the keys
 * on other partitions). send() calls are queued in order and leave as ordered requests of at most
 * `requestBytes`, ONE request in flight at a time, calls queued behind it coalesced into the next
 * request. One at a time is required: @platformatic/kafka 1.x reads a partition's idempotent
 * sequence number when it encodes a request and advances it only when the answer comes, so two
 * requests in flight to one partition carry the same sequence and the broker drops the second as a
 * duplicate while acknowledging it (platformatic/kafka#326; verified on 1.35.0).
 *
 * Consumer: the client's group membership (join, sync, heartbeats, rejoin on rebalance) with a
 * fetch loop of this file instead of the client's message stream, so delivery is batch-wise and
 * positions are ours: fetched records of a partition go to the handler in chunks of at most
 * `maxBatchSize`; a chunk's offset is committed only after the handler resolved (at-least-once);
 * a handler that throws gets the same chunk again after a backoff (the partition's position goes
 * back to the chunk's first offset, what was fetched past it is dropped). Fetch errors (a broker
 * restart, a moved leader) are retried with a backoff for as long as the consumer runs, a group
 * membership the client gave up on is re-joined, and a member that cannot re-join is replaced, so
 * a running consumer never gives up.
 */
import {
  Admin,
  ConnectionPool,
  Consumer as PConsumer,
  FetchIsolationLevels,
  ListOffsetTimestamps,
  ProduceAcks,
  Producer as PProducer,
  type ClusterMetadata,
  type FetchOptions,
  type GroupAssignment,
  type MessageToProduce,
} from '@platformatic/kafka';
import type { Logger } from 'pino';
import type { BatchHandler, Bus, BusMessage, Consumer, ConsumerOptions, Headers, Producer, ProduceRecord, TopicSpec } from './bus.js';
import { BROKER_MESSAGE_MAX_BYTES } from './kafka-broker.js';
import { type KafkaBusOptions, type KafkaTuning, checkNamespace, checkedSizes, kafkaTuning, platformaticConnection, redeliveryDelayMs, sortedAssignment, startAndAwaitJoin } from './kafka-common.js';
import { murmur2 } from './partitioner.js';
import { childLogger } from '../core/logger.js';

type FetchResponse = Awaited<ReturnType<PConsumer['fetch']>>;
type FetchRequestTopic = FetchOptions<Buffer, Buffer, Buffer, Buffer>['topics'][number];

/** Java-compatible key partitioner; the client takes it modulo the partition count. */
const javaPartitioner = (_message: unknown, key: Buffer | undefined): number => (key === undefined ? 0 : murmur2(key) & 0x7fffffff);

/** Backoff of the client's own retries: 100 ms doubling to 5 s (as the kafkajs bus). */
const retryDelay = (_client: unknown, _operation: string, attempt: number): number => Math.min(5_000, 100 * 2 ** Math.max(0, attempt - 1));

/** Broker answers that mean the idempotent producer's state is gone: a new producer id is needed. */
const PRODUCER_STATE_ERRORS = ['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING'];

/** Whether an error of the client (possibly nested: MultipleErrors / AggregateError) carries a protocol error id. */
function hasApiError(e: unknown, ids: string[]): boolean {
  const seen = new Set<unknown>();
  const visit = (x: unknown): boolean => {
    if (!x || typeof x !== 'object' || seen.has(x)) return false;
    seen.add(x);
    const o = x as { apiId?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof o.apiId === 'string' && ids.includes(o.apiId)) return true;
    return (Array.isArray(o.errors) && o.errors.some(visit)) || visit(o.cause);
  };
  return visit(e);
}

/** A one-line reason for logs and errors, with the nested protocol errors of an AggregateError. */
function describe(e: unknown): string {
  const o = e as { message?: string; errors?: unknown[] };
  const inner = Array.isArray(o?.errors) ? o.errors.map((x) => (x as { apiId?: string; message?: string }).apiId ?? (x as Error).message).filter(Boolean) : [];
  return inner.length ? `${o.message} (${[...new Set(inner)].join(', ')})` : String(o?.message ?? e);
}

/** The Fetch answer a ResponseError carries (possibly nested in the client's MultipleErrors), if any. */
function fetchAnswerOf(e: unknown): FetchResponse | undefined {
  let found: FetchResponse | undefined;
  const seen = new Set<unknown>();
  const visit = (x: unknown): void => {
    if (!x || typeof x !== 'object' || seen.has(x)) return;
    seen.add(x);
    const o = x as { response?: { responses?: unknown }; errors?: unknown[]; cause?: unknown };
    if (o.response && Array.isArray(o.response.responses)) found = o.response as FetchResponse;
    if (Array.isArray(o.errors)) o.errors.forEach(visit);
    visit(o.cause);
  };
  visit(e);
  return found;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class PlatformaticKafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  readonly client = 'platformatic' as const;
  readonly maxMessageBytes: number;
  readonly brokerMaxRecordBytes: number;
  /** Topic / group prefix on the broker (KafkaBusOptions.namespace). */
  readonly namespace: string;
  /** Whether the producer is idempotent (KafkaBusOptions.idempotent). */
  readonly idempotent: boolean;
  private readonly clientId: string;
  private readonly options: KafkaTuning;
  private readonly log: Logger;
  private adminClient?: Admin;
  /** One ordered sender (and producer client) per topic: a busy topic never queues another's records. */
  private readonly senders = new Map<string, OrderedSender>();
  private readonly consumers = new Set<PlatformaticGroupConsumer>();
  private closed = false;

  constructor(options: KafkaBusOptions) {
    if (!options.brokers?.length) throw new Error('PlatformaticKafkaBus needs at least one broker (host:port)');
    this.maxMessageBytes = options.maxMessageBytes ?? 8 * 1024 * 1024;
    this.brokerMaxRecordBytes = options.brokerMaxRecordBytes ?? BROKER_MESSAGE_MAX_BYTES;
    this.namespace = checkNamespace(options.namespace);
    this.options = kafkaTuning(options);
    this.idempotent = this.options.idempotent;
    this.clientId = options.clientId ?? 'streamlens';
    this.log = childLogger({ component: 'kafka-bus', client: 'platformatic' });
  }

  private admin(): Admin {
    this.assertOpen();
    this.adminClient ??= new Admin({ clientId: `${this.clientId}-admin`, bootstrapBrokers: this.options.brokers, ...platformaticConnection(this.options), retries: 8, retryDelay });
    return this.adminClient;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('bus is closed');
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    if (specs.length === 0) return;
    return this.ensureBrokerTopics(specs.map((s) => ({ ...s, name: this.namespace + s.name })));
  }

  /** ensureTopics for names already in the namespace; resolves once every partition has a leader. */
  private async ensureBrokerTopics(specs: TopicSpec[]): Promise<void> {
    const admin = this.admin();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length === 0) return;
    const byPartitions = new Map<number, string[]>();
    for (const s of missing) byPartitions.set(s.partitions, [...(byPartitions.get(s.partitions) ?? []), s.name]);
    for (const [partitions, topics] of byPartitions) {
      try {
        await admin.createTopics({ topics, partitions, replicas: 1 });
      } catch (e) {
        // Created concurrently by another client: fine, the topic exists.
        if (!hasApiError(e, ['TOPIC_ALREADY_EXISTS'])) throw new Error(`could not create topics ${topics.join(', ')}: ${describe(e)}`);
      }
    }
    const names = missing.map((s) => s.name);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const md = await admin.metadata({ topics: names, forceUpdate: true }).catch(() => undefined);
      const led = md && names.every((n) => (md.topics.get(n)?.partitions ?? []).length > 0 && md.topics.get(n)!.partitions.every((p) => p && p.leader >= 0));
      if (led) return;
      if (Date.now() > deadline) throw new Error(`topics ${names.join(', ')} have no leader after 15 s`);
      await sleep(100);
    }
  }

  producer(): Producer {
    return {
      send: async (topic: string, records: ProduceRecord[]) => {
        if (records.length === 0) return;
        this.assertOpen();
        const sizes = checkedSizes(records, this.maxMessageBytes, this.brokerMaxRecordBytes);
        const onBroker = this.namespace + topic;
        const messages = records.map((r): MessageToProduce => ({
          topic: onBroker,
          key: Buffer.from(r.key, 'utf8'),
          value: r.value,
          headers: r.headers ? toHeaderMap(r.headers) : undefined,
        }));
        let sender = this.senders.get(onBroker);
        if (!sender) this.senders.set(onBroker, (sender = new OrderedSender(
          () =>
            new PProducer({
              clientId: `${this.clientId}-producer`,
              bootstrapBrokers: this.options.brokers,
              ...platformaticConnection(this.options),
              idempotent: this.idempotent,
              acks: ProduceAcks.ALL,
              compression: 'none',
              partitioner: javaPartitioner,
              autocreateTopics: true,
              retries: 8,
              retryDelay,
              timeout: 30_000,
            }),
          this.options.requestBytes,
          this.idempotent,
          this.log,
        )));
        await sender.send(messages, sizes);
      },
    };
  }

  consumer(options: ConsumerOptions): Consumer {
    this.assertOpen();
    // The client cannot fetch from a topic that does not exist; create it first, as the embedded bus does.
    const ensure = (topics: string[]) => this.ensureBrokerTopics(topics.map((name) => ({ name, partitions: this.options.defaultPartitions })));
    const ns = this.namespace;
    const onBroker = { ...options, groupId: ns + options.groupId, topics: options.topics.map((t) => ns + t) };
    const local = (topic: string) => (topic.startsWith(ns) ? topic.slice(ns.length) : topic);
    const c = new PlatformaticGroupConsumer(this.clientId, onBroker, this.options, this.log, ensure, () => this.consumers.delete(c), local);
    this.consumers.add(c);
    return c;
  }

  async lag(groupId: string, topic: string): Promise<number> {
    const admin = this.admin();
    const onBroker = this.namespace + topic;
    const md = await admin.metadata({ topics: [onBroker] });
    const count = md.topics.get(onBroker)?.partitionsCount ?? 0;
    const partitions = Array.from({ length: count }, (_, i) => i);
    const ends = async (timestamp: bigint) => {
      const out = new Map<number, bigint>();
      const listed = await admin.listOffsets({ topics: [{ name: onBroker, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }] });
      for (const t of listed) for (const p of t.partitions) out.set(p.partitionIndex, p.offset);
      return out;
    };
    const [high, low, committed] = await Promise.all([
      ends(ListOffsetTimestamps.LATEST),
      ends(ListOffsetTimestamps.EARLIEST),
      admin.listConsumerGroupOffsets({ groups: [{ groupId: this.namespace + groupId, topics: [{ name: onBroker, partitionIndexes: partitions }] }] }),
    ]);
    const committedBy = new Map<number, bigint>();
    for (const g of committed) for (const t of g.topics) if (t.name === onBroker) for (const p of t.partitions) committedBy.set(p.partitionIndex, p.committedOffset);
    let lag = 0;
    for (const p of partitions) {
      const c = committedBy.get(p) ?? -1n;
      const from = c >= 0n ? c : (low.get(p) ?? 0n);
      const end = high.get(p) ?? 0n;
      if (end > from) lag += Number(end - from);
    }
    return lag;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.consumers].map((c) => c.stop().catch((e) => this.log.warn({ err: e }, 'consumer stop failed'))));
    this.closed = true;
    const [senders, a] = [[...this.senders.values()], this.adminClient];
    this.senders.clear();
    this.adminClient = undefined;
    await Promise.all([...senders.map((s) => s.close()), a?.close().catch(() => undefined)]);
  }
}

function toHeaderMap(h: Headers): Map<Buffer, Buffer> {
  const m = new Map<Buffer, Buffer>();
  for (const [k, v] of Object.entries(h)) m.set(Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8'));
  return m;
}

interface SendCall {
  chunksLeft: number;
  failed: boolean;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface QueuedChunk {
  call: SendCall;
  messages: MessageToProduce[];
  bytes: number;
}

/**
 * One producer client behind a FIFO of send() calls: one produce request in flight at a time,
 * what queued up behind it (up to `requestBytes`) goes in the next request. A call resolves when
 * all its records were acknowledged; it fails with the first failed request that carried some of
 * them (its later chunks are then not sent). After a failed request an idempotent producer is
 * replaced (new producer id): the client does not advance sequence numbers of a request whose
 * outcome it does not know, so the next batch could otherwise be taken for a duplicate.
 */
class OrderedSender {
  private client?: PProducer;
  private readonly queue: QueuedChunk[] = [];
  private inFlight = false;
  private drained: Array<() => void> = [];

  constructor(
    private readonly make: () => PProducer,
    private readonly requestBytes: number,
    private readonly idempotent: boolean,
    private readonly log: Logger,
  ) {}

  send(messages: MessageToProduce[], sizes: number[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const call: SendCall = { chunksLeft: 0, failed: false, resolve, reject };
      let chunk: MessageToProduce[] = [];
      let bytes = 0;
      const chunks: QueuedChunk[] = [];
      messages.forEach((m, i) => {
        if (chunk.length > 0 && bytes + sizes[i] > this.requestBytes) {
          chunks.push({ call, messages: chunk, bytes });
          chunk = [];
          bytes = 0;
        }
        chunk.push(m);
        bytes += sizes[i];
      });
      chunks.push({ call, messages: chunk, bytes });
      call.chunksLeft = chunks.length;
      this.queue.push(...chunks);
      this.pump();
    });
  }

  private pump(): void {
    if (this.inFlight) return;
    const batch: QueuedChunk[] = [];
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (next.call.failed) {
        this.queue.shift();
        continue;
      }
      if (batch.length > 0 && bytes + next.bytes > this.requestBytes) break;
      batch.push(this.queue.shift()!);
      bytes += next.bytes;
    }
    if (batch.length === 0) {
      for (const d of this.drained.splice(0)) d();
      return;
    }
    this.inFlight = true;
    void this.request(batch).finally(() => {
      this.inFlight = false;
      this.pump();
    });
  }

  private async request(batch: QueuedChunk[]): Promise<void> {
    const messages = batch.length === 1 ? batch[0].messages : batch.flatMap((c) => c.messages);
    let error: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      this.client ??= this.make();
      const client = this.client;
      try {
        await client.send({ messages });
        error = undefined;
        break;
      } catch (e) {
        error = e;
        if (this.idempotent) this.replace(client, e);
        // Only a lost producer state is worth one more try at once (on the new producer id); the
        // client already retried everything else.
        if (!hasApiError(e, PRODUCER_STATE_ERRORS)) break;
      }
    }
    for (const c of batch) {
      if (c.call.failed) continue;
      if (error !== undefined) {
        c.call.failed = true;
        c.call.reject(new Error(`Kafka produce failed: ${describe(error)}`, { cause: error }));
      } else if (--c.call.chunksLeft === 0) c.call.resolve();
    }
  }

  private replace(client: PProducer, e: unknown): void {
    if (this.client !== client) return;
    this.log.warn({ reason: describe(e) }, 'produce request failed; the idempotent producer starts over with a new producer id');
    this.client = undefined;
    client.close().catch(() => undefined);
  }

  /** Waits for what is queued, then closes the client. */
  async close(): Promise<void> {
    if (this.inFlight || this.queue.length > 0) await new Promise<void>((r) => this.drained.push(r));
    const c = this.client;
    this.client = undefined;
    await c?.close().catch(() => undefined);
  }
}

/** Fetch state of one assigned partition. */
interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to fetch; undefined until the committed offset (or the reset point) is known. */
  position?: bigint;
  /** Fetched, not yet handed to the handler. */
  buffer: BusMessage[];
  /** Bumped when the position is moved back: an answer to an older fetch is dropped. */
  epoch: number;
  /** A fetch for this partition is in flight. */
  fetching: boolean;
  /** The handler loop of this partition runs (idle resolves when it ends). */
  idle?: Promise<void>;
  failures: number;
  /** No fetch before this time (redelivery and fetch-error backoff). */
  readyAt: number;
  /** The position comes from the reset policy instead of the committed offset (offset out of range). */
  reset: boolean;
  /** Highest offset to commit (the offset after the last handled record) and the last one committed. */
  commitTarget: bigint;
  committed: bigint;
  /** The commit loop of this partition runs (resolves when everything up to commitTarget was sent). */
  committing?: Promise<void>;
}

/** Resolves when the partition's handler loop has ended and its commits were sent. */
async function settled(st: PartitionState): Promise<void> {
  await st.idle;
  await st.committing;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** One bus consumer = one group member of the client plus the fetch loop of this file. */
class PlatformaticGroupConsumer implements Consumer {
  private kc?: PConsumer;
  private pool?: ConnectionPool;
  private handler?: BatchHandler;
  private running = false;
  private current: Record<string, number[]> = {};
  private readonly parts = new Map<string, PartitionState>();
  /** Handler loops of partitions this member lost, by key: a new owner state waits for them. */
  private readonly retiring = new Map<string, Promise<void>>();
  private onJoin?: () => void;
  private wakeUp?: () => void;
  private loop?: Promise<void>;
  private watchdog?: NodeJS.Timeout;
  private inactiveSince = 0;
  private rejoining = false;
  private joinFailures = 0;
  private fetchFailures = 0;
  private active = 0;
  private readonly slots: Array<() => void> = [];
  private readonly maxBatch: number;

  constructor(
    private readonly clientId: string,
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
    await startAndAwaitJoin(
      this.options.groupId,
      joined,
      async () => {
        await this.ensureTopics(this.options.topics);
        this.pool = new ConnectionPool(`${this.clientId}-fetch`, { connectTimeout: 5_000, requestTimeout: 30_000 });
        this.pool.on('failed', () => undefined);
        this.startMember();
        this.loop = this.fetchLoop();
        this.watchdog = setInterval(() => this.checkMembership(), 1_000);
      },
      () => this.stop(),
    );
  }

  /** Creates a group member of the client and joins (in the background; the join event assigns). */
  private startMember(): void {
    const kc = new PConsumer({
      clientId: `${this.clientId}-consumer`,
      bootstrapBrokers: this.tuning.brokers,
      ...platformaticConnection(this.tuning),
      groupId: this.options.groupId,
      sessionTimeout: this.tuning.sessionTimeoutMs,
      rebalanceTimeout: this.tuning.rebalanceTimeoutMs,
      heartbeatInterval: this.tuning.heartbeatIntervalMs,
      maxWaitTime: this.tuning.maxWaitTimeMs,
      minBytes: 1,
      maxBytes: 16 * 1024 * 1024,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      autocommit: false,
      retries: 3,
      retryDelay,
      // kafkajs' name for the same round-robin strategy (both encode the standard consumer protocol), so
      // members on either client can share a group, e.g. while a deployment moves from one to the other.
      // Under the client's own name ('roundrobin') the broker refuses the second client's members
      // (INCONSISTENT_GROUP_PROTOCOL).
      protocols: [{ name: 'RoundRobinAssigner', version: 0 }],
    });
    this.kc = kc;
    this.inactiveSince = 0;
    // The client emits 'error' when a re-join it started failed for good; without a listener that would throw.
    kc.on('error', (e: Error) => {
      if (this.kc !== kc) return;
      this.log.warn({ groupId: this.options.groupId, reason: describe(e) }, 'kafka consumer lost its group membership; re-joining');
      this.rejoin(kc);
    });
    kc.on('consumer:group:join', (payload) => {
      if (this.kc === kc && this.running) this.assign(payload.assignments ?? kc.assignments ?? []);
    });
    kc.topics.trackAll(...this.options.topics);
    this.rejoin(kc);
  }

  /** Joins (or re-joins) the group, retried with a backoff; a member that keeps failing is replaced. */
  private rejoin(kc: PConsumer): void {
    if (this.rejoining || !this.running || this.kc !== kc) return;
    this.rejoining = true;
    void (async () => {
      while (this.running && this.kc === kc) {
        try {
          await kc.joinGroup({});
          this.joinFailures = 0;
          return;
        } catch (e) {
          if (!this.running || this.kc !== kc) return;
          this.joinFailures++;
          this.log.warn({ groupId: this.options.groupId, attempt: this.joinFailures, reason: describe(e) }, 'joining the consumer group failed; trying again');
          if (this.joinFailures % 5 === 0) {
            this.replaceMember(kc);
            return;
          }
          await sleep(Math.min(10_000, 250 * 2 ** Math.min(this.joinFailures, 6)));
        }
      }
    })().finally(() => {
      if (this.kc === kc) this.rejoining = false;
    });
  }

  /** Drops a member that cannot join and starts a fresh one (new member id, positions from commits). */
  private replaceMember(old: PConsumer): void {
    if (this.kc !== old) return;
    this.kc = undefined;
    this.rejoining = false;
    this.dropAll();
    old.close().catch(() => old.connections.close().catch(() => undefined));
    if (this.running) this.startMember();
  }

  /**
   * Safety net: the client re-joins by itself after a rebalance or an expired session; a member that
   * has had no live membership for longer than a rebalance may take is re-joined here.
   */
  private checkMembership(): void {
    const kc = this.kc;
    if (!this.running || !kc) return;
    if (kc.isActive()) {
      this.inactiveSince = 0;
      return;
    }
    const now = Date.now();
    if (this.inactiveSince === 0) this.inactiveSince = now;
    else if (now - this.inactiveSince > 2 * Math.max(this.tuning.rebalanceTimeoutMs, this.tuning.sessionTimeoutMs)) {
      this.inactiveSince = now;
      this.rejoin(kc);
    }
  }

  /** A (re)join gave this member `assignments`: keep what stays, drop what went, look up what came. */
  private assign(assignments: GroupAssignment[]): void {
    const next = new Map<string, { topic: string; partition: number }>();
    const current: Record<string, number[]> = {};
    for (const a of assignments) {
      current[a.topic] = [...a.partitions];
      for (const p of a.partitions) next.set(key(a.topic, p), { topic: a.topic, partition: p });
    }
    this.current = current;
    for (const [k, st] of this.parts) {
      if (next.has(k)) continue;
      this.parts.delete(k);
      if (st.idle || st.committing) this.retiring.set(k, settled(st));
    }
    const fresh: PartitionState[] = [];
    for (const [k, tp] of next) {
      if (this.parts.has(k)) continue;
      const st: PartitionState = { ...tp, buffer: [], epoch: 0, fetching: false, failures: 0, readyAt: 0, reset: false, commitTarget: -1n, committed: -1n };
      this.parts.set(k, st);
      fresh.push(st);
    }
    if (fresh.length > 0) void this.lookUpPositions(fresh);
    this.onJoin?.();
    this.wake();
  }

  private dropAll(): void {
    for (const [k, st] of this.parts) if (st.idle || st.committing) this.retiring.set(k, settled(st));
    this.parts.clear();
    this.current = {};
  }

  /** Positions of new partitions: the committed offset, else earliest / latest (fromBeginning). */
  private async lookUpPositions(states: PartitionState[]): Promise<void> {
    for (let attempt = 0; this.running; attempt++) {
      const kc = this.kc;
      const pending = states.filter((st) => this.parts.get(key(st.topic, st.partition)) === st && st.position === undefined);
      if (!kc || pending.length === 0) return;
      try {
        // A partition this member handled before the rebalance: let its last handler call commit first.
        await Promise.race([Promise.all(pending.map((st) => this.retiring.get(key(st.topic, st.partition)))), sleep(this.tuning.rebalanceTimeoutMs)]);
        const byTopic = new Map<string, PartitionState[]>();
        for (const st of pending) byTopic.set(st.topic, [...(byTopic.get(st.topic) ?? []), st]);
        const lookUpCommitted = pending.filter((st) => !st.reset);
        const committed = lookUpCommitted.length
          ? await kc.listCommittedOffsets({
              topics: [...byTopic].map(([topic, sts]) => ({ topic, partitions: sts.filter((s) => !s.reset).map((s) => s.partition) })).filter((t) => t.partitions.length > 0),
            })
          : new Map<string, bigint[]>();
        const needReset = pending.filter((st) => st.reset || (committed.get(st.topic)?.[st.partition] ?? -1n) < 0n);
        const resetTo = new Map<string, bigint[]>();
        if (needReset.length > 0) {
          const topics = [...new Set(needReset.map((s) => s.topic))];
          const partitions: Record<string, number[]> = {};
          for (const s of needReset) (partitions[s.topic] ??= []).push(s.partition);
          const listed = await kc.listOffsets({
            topics,
            partitions,
            timestamp: (this.options.fromBeginning ?? true) ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
          });
          for (const [t, offs] of listed) resetTo.set(t, offs);
        }
        for (const st of pending) {
          if (this.parts.get(key(st.topic, st.partition)) !== st) continue;
          const c = st.reset ? -1n : (committed.get(st.topic)?.[st.partition] ?? -1n);
          const pos = c >= 0n ? c : resetTo.get(st.topic)?.[st.partition];
          if (pos === undefined) throw new Error(`no offset for ${st.topic}:${st.partition}`);
          st.position = pos;
          st.reset = false;
        }
        this.wake();
        return;
      } catch (e) {
        if (!this.running || this.kc !== kc) return;
        this.log.warn({ groupId: this.options.groupId, reason: describe(e) }, 'looking up consumer positions failed; trying again');
        await sleep(Math.min(5_000, 200 * 2 ** Math.min(attempt, 5)));
      }
    }
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  /** Fetches, per leader, every partition that has a position, nothing buffered and no backoff. */
  private async fetchLoop(): Promise<void> {
    while (this.running) {
      const kc = this.kc;
      const now = Date.now();
      const ready: PartitionState[] = [];
      let nextAt = Infinity;
      for (const st of this.parts.values()) {
        if (st.position === undefined || st.fetching || st.buffer.length > 0) continue;
        if (st.readyAt > now) nextAt = Math.min(nextAt, st.readyAt);
        else ready.push(st);
      }
      if (!kc || ready.length === 0) {
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
          setTimeout(resolve, Number.isFinite(nextAt) ? Math.max(1, nextAt - now) : 250);
        });
        continue;
      }
      let metadata: ClusterMetadata;
      try {
        metadata = await kc.metadata({ topics: [...new Set(ready.map((s) => s.topic))] });
      } catch (e) {
        this.fetchFailed(kc, e, ready);
        continue;
      }
      const byLeader = new Map<number, PartitionState[]>();
      for (const st of ready) {
        const leader = metadata.topics.get(st.topic)?.partitions[st.partition]?.leader ?? -1;
        if (leader < 0) {
          st.readyAt = Date.now() + 200;
          kc.clearMetadata();
          continue;
        }
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), st]);
      }
      await Promise.all([...byLeader].map(([leader, states]) => this.fetchFrom(kc, leader, states, metadata)));
    }
  }

  private async fetchFrom(kc: PConsumer, leader: number, states: PartitionState[], metadata: ClusterMetadata): Promise<void> {
    const requested = new Map<string, { st: PartitionState; epoch: number; offset: bigint }>();
    const byTopic = new Map<string, FetchRequestTopic>();
    const names = new Map<string, string>();
    for (const st of states) {
      const md = metadata.topics.get(st.topic)!;
      names.set(md.id, st.topic);
      let t = byTopic.get(st.topic);
      if (!t) byTopic.set(st.topic, (t = { topicId: md.id, partitions: [] }));
      t.partitions.push({ partition: st.partition, fetchOffset: st.position!, partitionMaxBytes: 2 * 1024 * 1024, currentLeaderEpoch: -1, lastFetchedEpoch: -1 });
      requested.set(key(st.topic, st.partition), { st, epoch: st.epoch, offset: st.position! });
      st.fetching = true;
    }
    let response: FetchResponse | undefined;
    let failure: unknown;
    try {
      response = await kc.fetch({
        node: leader,
        topics: [...byTopic.values()],
        maxWaitTime: this.tuning.maxWaitTimeMs,
        minBytes: 1,
        maxBytes: 16 * 1024 * 1024,
        connectionPool: this.pool,
      });
      this.fetchFailures = 0;
    } catch (e) {
      // A partition error fails the whole request; the answer (the other partitions' records) rides on the error.
      failure = e;
      response = fetchAnswerOf(e);
    } finally {
      for (const r of requested.values()) r.st.fetching = false;
    }
    const failed: PartitionState[] = [];
    const outOfRange: PartitionState[] = [];
    const answered = new Set<PartitionState>();
    for (const t of response?.responses ?? []) {
      const topic = names.get(t.topicId);
      if (topic === undefined) continue;
      for (const p of t.partitions) {
        const r = requested.get(key(topic, p.partitionIndex));
        if (!r) continue;
        const { st, epoch, offset } = r;
        answered.add(st);
        // Moved back (a failed handler call) or lost in a rebalance since the request left: drop the answer.
        if (st.epoch !== epoch || st.position !== offset || this.parts.get(key(topic, p.partitionIndex)) !== st) continue;
        if (p.errorCode !== 0) {
          (p.errorCode === 1 ? outOfRange : failed).push(st);
          continue;
        }
        const batches = p.records ?? [];
        if (batches.length === 0) continue;
        const local = this.localTopic(topic);
        for (const b of batches) {
          if ((b.attributes & 0x20) === 0) {
            for (const rec of b.records) {
              const o = b.firstOffset + BigInt(rec.offsetDelta);
              if (o < offset) continue;
              st.buffer.push({
                topic: local,
                partition: p.partitionIndex,
                offset: Number(o),
                key: rec.key ? rec.key.toString('utf8') : '',
                value: rec.value ?? Buffer.alloc(0),
                headers: fromHeaders(rec.headers),
                timestamp: Number(b.firstTimestamp + rec.timestampDelta),
              });
            }
          }
          const end = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n;
          if (end > st.position!) st.position = end;
        }
        if (st.buffer.length > 0) this.drain(st);
      }
    }
    if (failure === undefined) return;
    // No answer at all (a network error, a broker restarting): every partition of the request backs off.
    if (!response) for (const st of states) if (!answered.has(st)) failed.push(st);
    this.fetchFailed(kc, failure, failed, outOfRange);
  }

  /** A fetch failed: its failed partitions back off; positions out of range restart from the reset policy. */
  private fetchFailed(kc: PConsumer, e: unknown, failed: PartitionState[], outOfRange: PartitionState[] = []): void {
    if (!this.running || this.kc !== kc) return;
    this.fetchFailures++;
    kc.clearMetadata();
    for (const st of outOfRange) {
      this.log.warn({ topic: st.topic, partition: st.partition, position: String(st.position) }, 'fetch position out of range; resetting it');
      st.position = undefined;
      st.reset = true;
      st.buffer = [];
      st.epoch++;
    }
    if (outOfRange.length > 0) void this.lookUpPositions(outOfRange);
    const delay = Math.min(2_000, 100 * 2 ** Math.min(this.fetchFailures, 5));
    if (this.fetchFailures === 1 || this.fetchFailures % 20 === 0) {
      this.log.warn({ groupId: this.options.groupId, attempt: this.fetchFailures, reason: describe(e) }, 'kafka fetch failed; retrying');
    }
    for (const st of failed) st.readyAt = Date.now() + delay;
  }

  private async slot(): Promise<void> {
    if (this.active < this.tuning.partitionsConsumedConcurrently) {
      this.active++;
      return;
    }
    await new Promise<void>((r) => this.slots.push(r));
  }

  private release(): void {
    const next = this.slots.shift();
    if (next) next();
    else this.active--;
  }

  /** Hands a partition's buffer to the handler chunk by chunk, committing after each. */
  private drain(st: PartitionState): void {
    if (st.idle) return;
    st.idle = (async () => {
      try {
        while (this.running && st.buffer.length > 0 && this.parts.get(key(st.topic, st.partition)) === st) {
          await this.slot();
          let messages: BusMessage[];
          try {
            if (!this.running || this.parts.get(key(st.topic, st.partition)) !== st) return;
            messages = st.buffer.splice(0, this.maxBatch);
            if (st.buffer.length === 0) this.wake(); // fetch the next records while this chunk is handled
            try {
              await this.handler!({ topic: this.localTopic(st.topic), partition: st.partition, messages });
            } catch (e) {
              // Redelivery: back to this chunk's first offset, drop what was fetched past it.
              st.failures++;
              st.buffer = [];
              st.epoch++;
              st.position = BigInt(messages[0].offset);
              const delay = redeliveryDelayMs(st.failures);
              st.readyAt = Date.now() + delay;
              this.log.warn({ topic: messages[0].topic, partition: st.partition, offset: messages[0].offset, attempt: st.failures, err: e }, 'handler failed; the batch will be redelivered');
              return;
            }
          } finally {
            this.release();
          }
          st.failures = 0;
          // Committed off the handler's path: the next chunk does not wait for the commit's round trip.
          this.requestCommit(st, BigInt(messages[messages.length - 1].offset) + 1n);
        }
      } finally {
        st.idle = undefined;
        this.wake();
      }
    })();
  }

  /** Commits up to `offset` soon: one commit in flight per partition, later targets coalesced. */
  private requestCommit(st: PartitionState, offset: bigint): void {
    if (offset > st.commitTarget) st.commitTarget = offset;
    if (st.committing) return;
    st.committing = (async () => {
      while (st.committed < st.commitTarget) {
        const target = st.commitTarget;
        await this.commit(st, target);
        st.committed = target;
      }
    })().finally(() => {
      st.committing = undefined;
    });
  }

  private async commit(st: PartitionState, offset: bigint): Promise<void> {
    const kc = this.kc;
    if (!kc) return;
    try {
      await kc.commit({ offsets: [{ topic: st.topic, partition: st.partition, offset, leaderEpoch: -1 }] });
    } catch (e) {
      // Not fatal: a later commit covers these offsets, or the next owner gets them again (at-least-once).
      this.log.warn({ topic: st.topic, partition: st.partition, offset: String(offset), reason: describe(e) }, 'offset commit failed');
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.watchdog);
    this.wake();
    // Drain: the handler calls in flight finish and commit; nothing new is fetched or started.
    const inFlight = [...this.parts.values()].map(settled);
    await Promise.all([this.loop, ...inFlight, ...this.retiring.values()].map((p) => p?.catch(() => undefined)));
    this.retiring.clear();
    for (const r of this.slots.splice(0)) r();
    const kc = this.kc;
    this.kc = undefined;
    this.parts.clear();
    this.current = {};
    // close(): leaves the group (so the others rebalance at once), then closes the connections.
    if (kc) {
      const closed = await Promise.race([kc.close().then(() => true), sleep(10_000).then(() => false)]).catch((e) => {
        this.log.warn({ groupId: this.options.groupId, reason: describe(e) }, 'leaving the consumer group failed');
        return false;
      });
      if (!closed) await kc.connections.close().catch(() => undefined);
    }
    await this.pool?.close().catch(() => undefined);
    this.onStopped();
  }
}

function fromHeaders(h: [Buffer | null, Buffer | null][]): Headers {
  const out: Headers = {};
  for (const [k, v] of h) {
    if (k === null || v === null) continue;
    out[k.toString('utf8')] = v.toString('utf8');
  }
  return out;
}
