import { randomUUID } from 'node:crypto';
import {
  type BatchHandler,
  type Bus,
  type BusMessage,
  type Consumer,
  type ConsumerOptions,
  type Producer,
  type ProduceRecord,
  type TopicSpec,
  MessageTooLargeError,
} from './bus.js';
import { partitionForKey } from './partitioner.js';

export interface EmbeddedBusOptions {
  /** Partitions of a topic created implicitly by send() or a consumer. */
  defaultPartitions?: number;
  maxMessageBytes?: number;
  /**
   * Upper bound of retained bytes per partition. Messages every group has committed are always
   * released; beyond this bound the oldest uncommitted ones are released too and counted in
   * `droppedByRetention` (a live system must not grow without bound).
   */
  retentionBytesPerPartition?: number;
}

/** Wakes every waiter once; a fresh one is armed after each notify. */
class Signal {
  private waiters: Array<() => void> = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

class PartitionLog {
  messages: BusMessage[] = [];
  /** Offset of messages[0]. */
  base = 0;
  bytes = 0;
  readonly appended = new Signal();
  get end(): number {
    return this.base + this.messages.length;
  }
  slice(from: number, max: number): BusMessage[] {
    const start = Math.max(0, from - this.base);
    return this.messages.slice(start, start + max);
  }
  /** Drops messages below `offset`. */
  releaseBelow(offset: number): number {
    const n = Math.min(this.messages.length, Math.max(0, offset - this.base));
    if (n === 0) return 0;
    for (let i = 0; i < n; i++) this.bytes -= this.messages[i].value.length;
    this.messages.splice(0, n);
    this.base += n;
    return n;
  }
}

class Topic {
  readonly partitions: PartitionLog[];
  constructor(
    readonly name: string,
    count: number,
  ) {
    this.partitions = Array.from({ length: count }, () => new PartitionLog());
  }
}

interface Member {
  id: string;
  topics: string[];
  assignment: Map<string, Set<number>>;
  changed: Signal;
}

class Group {
  readonly members: Member[] = [];
  /** committed[topic][partition] = next offset to consume */
  readonly committed = new Map<string, Map<number, number>>();
  /** The batch in flight on a partition, so a new owner waits for the old one to finish. */
  readonly inFlight = new Map<string, Promise<void>>();
  constructor(readonly id: string) {}

  committedOffset(topic: string, partition: number): number | undefined {
    return this.committed.get(topic)?.get(partition);
  }
  commit(topic: string, partition: number, next: number): void {
    let m = this.committed.get(topic);
    if (!m) this.committed.set(topic, (m = new Map()));
    if ((m.get(partition) ?? -1) < next) m.set(partition, next);
  }
}

/** The embedded in-process bus: Kafka's contract without a broker. */
export class EmbeddedBus implements Bus {
  readonly kind = 'embedded' as const;
  readonly maxMessageBytes: number;
  private readonly topics = new Map<string, Topic>();
  private readonly groups = new Map<string, Group>();
  private readonly defaultPartitions: number;
  private readonly retentionBytes: number;
  private closed = false;
  /** Messages released by the retention bound before every group consumed them. */
  droppedByRetention = 0;

  constructor(options: EmbeddedBusOptions = {}) {
    this.defaultPartitions = options.defaultPartitions ?? 4;
    this.maxMessageBytes = options.maxMessageBytes ?? 8 * 1024 * 1024;
    this.retentionBytes = options.retentionBytesPerPartition ?? 256 * 1024 * 1024;
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    for (const s of specs) this.topic(s.name, s.partitions);
  }

  private topic(name: string, partitions = this.defaultPartitions): Topic {
    let t = this.topics.get(name);
    if (!t) {
      t = new Topic(name, partitions);
      this.topics.set(name, t);
    }
    return t;
  }

  producer(): Producer {
    return {
      send: async (topicName: string, records: ProduceRecord[]) => {
        if (this.closed) throw new Error('bus is closed');
        for (const r of records) {
          if (r.value.length > this.maxMessageBytes) throw new MessageTooLargeError(r.value.length, this.maxMessageBytes);
        }
        const topic = this.topic(topicName);
        const touched = new Set<PartitionLog>();
        const now = Date.now();
        for (const r of records) {
          const p = partitionForKey(r.key, topic.partitions.length);
          const log = topic.partitions[p];
          log.messages.push({
            topic: topicName,
            partition: p,
            offset: log.end,
            key: r.key,
            value: r.value,
            headers: { ...(r.headers ?? {}) },
            timestamp: now,
          });
          log.bytes += r.value.length;
          touched.add(log);
        }
        for (const log of touched) {
          this.enforceRetention(topicName, log, topic.partitions.indexOf(log));
          log.appended.notify();
        }
      },
    };
  }

  private enforceRetention(topicName: string, log: PartitionLog, partition: number): void {
    // Release what every group interested in this topic has committed.
    let minCommitted = Infinity;
    let interested = false;
    for (const g of this.groups.values()) {
      const subscribed = g.members.some((m) => m.topics.includes(topicName)) || g.committed.has(topicName);
      if (!subscribed) continue;
      interested = true;
      minCommitted = Math.min(minCommitted, g.committedOffset(topicName, partition) ?? log.base);
    }
    if (interested && Number.isFinite(minCommitted)) log.releaseBelow(minCommitted);
    while (log.bytes > this.retentionBytes && log.messages.length > 1) {
      this.droppedByRetention += log.releaseBelow(log.base + 1);
    }
  }

  consumer(options: ConsumerOptions): Consumer {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the consumer object's methods below have their own `this`
    const bus = this;
    const member: Member = { id: randomUUID(), topics: [...options.topics], assignment: new Map(), changed: new Signal() };
    const maxBatch = options.maxBatchSize ?? 500;
    let running = false;
    let stopping = false;
    let group: Group | undefined;
    const loops = new Map<string, Promise<void>>();
    const stopSignal = new Signal();

    const loopKey = (t: string, p: number) => `${t}\u0000${p}`;
    const assigned = (t: string, p: number) => member.assignment.get(t)?.has(p) ?? false;

    const partitionLoop = async (topicName: string, p: number, handler: BatchHandler) => {
      const g = group!;
      const log = this.topic(topicName).partitions[p];
      const flightKey = loopKey(topicName, p);
      // Wait for the previous owner's batch in flight on this partition.
      await g.inFlight.get(flightKey);
      let attempt = 0;
      while (running && !stopping && assigned(topicName, p)) {
        let pos = g.committedOffset(topicName, p);
        if (pos === undefined) {
          pos = options.fromBeginning === false ? log.end : log.base;
          g.commit(topicName, p, pos);
        }
        if (pos < log.base) pos = log.base; // released by retention: skip ahead (counted there)
        if (pos >= log.end) {
          await Promise.race([log.appended.wait(), member.changed.wait(), stopSignal.wait()]);
          continue;
        }
        const messages = log.slice(pos, maxBatch);
        const work = (async () => {
          await handler({ topic: topicName, partition: p, messages });
          g.commit(topicName, p, messages[messages.length - 1].offset + 1);
        })();
        g.inFlight.set(flightKey, work.catch(() => undefined));
        try {
          await work;
          attempt = 0;
        } catch {
          // Redelivery: the same batch again after a backoff (the stage runner dead-letters poison messages).
          attempt++;
          await Promise.race([sleep(Math.min(2000, 50 * 2 ** Math.min(attempt, 6))), stopSignal.wait()]);
        }
      }
      loops.delete(flightKey);
      // Re-assigned to us while this loop was winding down: start again.
      if (running && !stopping && assigned(topicName, p) && currentHandler) {
        loops.set(flightKey, partitionLoop(topicName, p, currentHandler));
      }
    };

    let currentHandler: BatchHandler | undefined;
    const reconcile = () => {
      if (!running || !currentHandler) return;
      for (const [t, parts] of member.assignment) {
        for (const p of parts) {
          const k = loopKey(t, p);
          if (!loops.has(k)) loops.set(k, partitionLoop(t, p, currentHandler));
        }
      }
    };

    return {
      async run(handler: BatchHandler) {
        if (running) throw new Error('consumer is already running');
        for (const t of options.topics) bus.topic(t);
        group = bus.groups.get(options.groupId);
        if (!group) bus.groups.set(options.groupId, (group = new Group(options.groupId)));
        running = true;
        currentHandler = handler;
        (member as Member & { reconcile?: () => void }).reconcile = reconcile;
        group.members.push(member);
        bus.rebalance(group);
      },
      async stop() {
        if (!running) return;
        stopping = true;
        stopSignal.notify();
        member.changed.notify();
        await Promise.all([...loops.values()]);
        running = false;
        const g = group!;
        g.members.splice(g.members.indexOf(member), 1);
        bus.rebalance(g);
      },
      assignment() {
        const out: Record<string, number[]> = {};
        for (const [t, s] of member.assignment) out[t] = [...s].sort((a, b) => a - b);
        return out;
      },
    };
  }

  /** Round-robin assignment of every subscribed partition over the group's members, in join order. */
  private rebalance(group: Group): void {
    const next = new Map<Member, Map<string, Set<number>>>();
    for (const m of group.members) next.set(m, new Map());
    const topicNames = [...new Set(group.members.flatMap((m) => m.topics))].sort();
    for (const t of topicNames) {
      const subscribers = group.members.filter((m) => m.topics.includes(t));
      const count = this.topic(t).partitions.length;
      for (let p = 0; p < count; p++) {
        const owner = subscribers[p % subscribers.length];
        const a = next.get(owner)!;
        if (!a.has(t)) a.set(t, new Set());
        a.get(t)!.add(p);
      }
    }
    for (const m of group.members) {
      m.assignment = next.get(m)!;
      m.changed.notify();
      (m as Member & { reconcile?: () => void }).reconcile?.();
    }
  }

  async lag(groupId: string, topicName: string): Promise<number> {
    const t = this.topics.get(topicName);
    if (!t) return 0;
    const g = this.groups.get(groupId);
    let lag = 0;
    t.partitions.forEach((log, p) => {
      const c = g?.committedOffset(topicName, p) ?? log.base;
      lag += Math.max(0, log.end - c);
    });
    return lag;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
