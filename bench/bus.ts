/**
 * Bus benchmark: messages/s and publish-to-consume latency (p50/p99) of 1 KB and 64 KB messages
 * on the embedded bus and on Kafka through each Kafka client the bus runs on (kafkajs,
 * @platformatic/kafka), in one run. Kafka is the cluster named by KAFKA_BROKERS, or a local broker
 * started (and stopped) here through src/bus/kafka-broker.ts. Each client runs with its idempotent
 * producer (the default), and once more for 1 KB with it off, to show what idempotence costs.
 * `BENCH_BUS_CLIENTS=platformatic,kafkajs` limits the clients.
 *
 * Throughput: one producer sends `messages` records in sequential send() calls of `batch`
 * records (as a stage publishes), one consumer group member consumes them; the rate is counted
 * from the first send to the last message consumed. Latency: a paced phase well below
 * saturation, each record stamped with its send time in a header.
 *
 * Run: `npx tsx bench/bus.ts` (prints one JSON object on stdout; progress on stderr).
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../src/core/paths.js';
import type { Bus, ProduceRecord } from '../src/bus/bus.js';
import { encodeMessage, readEnvelope } from '../src/bus/envelope.js';
import { EmbeddedBus } from '../src/bus/embedded.js';
import { KAFKA_CLIENTS, type KafkaClient, kafkaBrokersFromEnv } from '../src/bus/index.js';
import { KafkaBus } from '../src/bus/kafka.js';
import { KAFKA_VERSION, type KafkaHandle, startKafka } from '../src/bus/kafka-broker.js';
import { PlatformaticKafkaBus } from '../src/bus/platformatic-kafka.js';
import { runIfExecutedDirectly } from './run-directly.js';
import { processCpuSeconds } from './scenario-bus.js';

interface Workload {
  sizeBytes: number;
  messages: number;
  batch: number;
  /** Paced latency phase: records per second and seconds. */
  latencyRate: number;
  latencySeconds: number;
}

export const WORKLOADS: Workload[] = [
  { sizeBytes: 1024, messages: 60_000, batch: 500, latencyRate: 1000, latencySeconds: 3 },
  { sizeBytes: 64 * 1024, messages: 3_000, batch: 32, latencyRate: 200, latencySeconds: 3 },
];
const STREAMS = 16;
const PUBLISHERS = 2;

export interface BusBenchResult {
  bus: 'embedded' | 'kafka';
  /** The Kafka client library (or 'embedded'). */
  client: 'embedded' | KafkaClient;
  /** Whether the producer was idempotent (null: the embedded bus, which has no retries to deduplicate). */
  idempotent: boolean | null;
  sizeBytes: number;
  messages: number;
  sendBatch: number;
  produceMsgsPerSec: number;
  endToEndMsgsPerSec: number;
  endToEndMBPerSec: number;
  /** CPU time per message: contention-independent cost, so runs on a busy machine stay comparable. */
  cpuMicrosPerMsg: { client: number; clientWhileProducing: number; broker: number | null };
  latency: { ratePerSec: number; samples: number; p50Ms: number; p99Ms: number; maxMs: number };
}

const progress = (line: string) => process.stderr.write(`[bench:bus] ${line}\n`);
const now = () => performance.timeOrigin + performance.now();

const headBytes = new Map<number, number>();
/** A real envelope (as the stages send: key + value, no bus headers) whose value is `sizeBytes` long. */
function envelopeRecord(sizeBytes: number, stream: number, seq: number, capturedAt = Date.now()): ProduceRecord {
  let head = headBytes.get(stream);
  if (head === undefined) {
    head = encodeMessage({ type: 'video.frame', env: { streamId: `stream-${stream}`, seq, capturedAt }, meta: {}, jpeg: Buffer.alloc(0) }).value.length;
    headBytes.set(stream, head);
  }
  return encodeMessage({ type: 'video.frame', env: { streamId: `stream-${stream}`, seq, capturedAt }, meta: {}, jpeg: Buffer.alloc(Math.max(0, sizeBytes - head), 0x5a) });
}

export async function throughput(bus: Bus, w: Workload, brokerPid?: number): Promise<Pick<BusBenchResult, 'produceMsgsPerSec' | 'endToEndMsgsPerSec' | 'endToEndMBPerSec' | 'cpuMicrosPerMsg'>> {
  const topic = `bench-tp-${w.sizeBytes}-${Date.now().toString(36)}`;
  await bus.ensureTopics([{ name: topic, partitions: 4 }]);
  let consumed = 0;
  let lastConsumedAt = 0;
  let allConsumed!: () => void;
  const done = new Promise<void>((r) => (allConsumed = r));
  const consumer = bus.consumer({ groupId: `${topic}-g`, topics: [topic], fromBeginning: true, maxBatchSize: 500 });
  await consumer.run(async (batch) => {
    consumed += batch.messages.length;
    if (consumed >= w.messages) {
      lastConsumedAt = now();
      allConsumed();
    }
  });
  const producer = bus.producer();
  // The envelopes are encoded before the clock starts: this measures the bus, not the encoder.
  const share = Math.ceil(w.messages / PUBLISHERS);
  const sends = Array.from({ length: PUBLISHERS }, (_, pub) => {
    const batches: ProduceRecord[][] = [];
    const end = Math.min(w.messages, (pub + 1) * share);
    for (let i = pub * share; i < end; i += w.batch) {
      const n = Math.min(w.batch, end - i);
      batches.push(Array.from({ length: n }, (_, j) => envelopeRecord(w.sizeBytes, pub + PUBLISHERS * ((i + j) % (STREAMS / PUBLISHERS)), i + j)));
    }
    return batches;
  });
  const brokerCpu0 = brokerPid ? processCpuSeconds(brokerPid) : undefined;
  const cpu0 = process.cpuUsage();
  const started = now();
  // PUBLISHERS sources publish at once (as several ingest streams and stages do), each over its
  // own keys with sequential send() calls, so per-key order holds.
  await Promise.all(
    sends.map(async (batches) => {
      for (const records of batches) await producer.send(topic, records);
    }),
  );
  const produced = now();
  const cpuProduce = process.cpuUsage(cpu0);
  const timeout = setTimeout(() => allConsumed(), 60_000);
  await done;
  clearTimeout(timeout);
  const cpuAll = process.cpuUsage(cpu0);
  const brokerCpu1 = brokerPid ? processCpuSeconds(brokerPid) : undefined;
  await consumer.stop();
  if (consumed < w.messages) throw new Error(`only ${consumed} of ${w.messages} messages were consumed within 60 s`);
  const seconds = (lastConsumedAt - started) / 1000;
  return {
    produceMsgsPerSec: Math.round(w.messages / ((produced - started) / 1000)),
    endToEndMsgsPerSec: Math.round(w.messages / seconds),
    endToEndMBPerSec: Number(((w.messages * w.sizeBytes) / seconds / 1e6).toFixed(1)),
    cpuMicrosPerMsg: {
      // Client process (producer and consumer share it); the producing part is measured up to the last ack.
      client: Math.round((cpuAll.user + cpuAll.system) / w.messages),
      clientWhileProducing: Math.round((cpuProduce.user + cpuProduce.system) / w.messages),
      broker: brokerCpu0 !== undefined && brokerCpu1 !== undefined ? Math.round(((brokerCpu1 - brokerCpu0) * 1e6) / w.messages) : null,
    },
  };
}

export async function latency(bus: Bus, w: Workload): Promise<BusBenchResult['latency']> {
  const topic = `bench-lat-${w.sizeBytes}-${Date.now().toString(36)}`;
  await bus.ensureTopics([{ name: topic, partitions: 4 }]);
  const samples: number[] = [];
  const consumer = bus.consumer({ groupId: `${topic}-g`, topics: [topic], fromBeginning: true });
  await consumer.run(async (batch) => {
    const t = now();
    for (const m of batch.messages) samples.push(t - readEnvelope(m.value).capturedAt);
  });
  const producer = bus.producer();
  const total = w.latencyRate * w.latencySeconds;
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((w.latencyRate * tickMs) / 1000));
  const start = now();
  let sent = 0;
  while (sent < total) {
    const n = Math.min(perTick, total - sent);
    const sentAt = now();
    await producer.send(
      topic,
      Array.from({ length: n }, (_, j) => envelopeRecord(w.sizeBytes, (sent + j) % STREAMS, sent + j, sentAt)),
    );
    sent += n;
    const due = start + (sent / w.latencyRate) * 1000;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const deadline = Date.now() + 30_000;
  while (samples.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await consumer.stop();
  samples.sort((a, b) => a - b);
  const q = (p: number) => Number(samples[Math.min(samples.length - 1, Math.floor(p * samples.length))].toFixed(2));
  return { ratePerSec: w.latencyRate, samples: samples.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: Number(samples[samples.length - 1].toFixed(2)) };
}

async function benchBus(
  name: 'embedded' | 'kafka',
  client: BusBenchResult['client'],
  idempotent: boolean | null,
  make: () => Bus,
  brokerPid?: number,
  workloads: Workload[] = WORKLOADS,
): Promise<BusBenchResult[]> {
  const out: BusBenchResult[] = [];
  const label = `${client}${idempotent === false ? ' (not idempotent)' : ''}`;
  for (const w of workloads) {
    const bus = make();
    try {
      // Untimed warm-up (JIT of client and broker, connections, metadata), then the timed run.
      progress(`${label}: warm-up ...`);
      await throughput(bus, { ...w, messages: Math.min(w.messages, 20 * w.batch) });
      progress(`${label}: ${w.messages} x ${w.sizeBytes} B throughput ...`);
      const tp = await throughput(bus, w, brokerPid);
      progress(`${label}: ${w.sizeBytes} B latency at ${w.latencyRate}/s ...`);
      const lat = await latency(bus, w);
      const r: BusBenchResult = { bus: name, client, idempotent, sizeBytes: w.sizeBytes, messages: w.messages, sendBatch: w.batch, ...tp, latency: lat };
      progress(
        `${label} ${w.sizeBytes} B: produce ${r.produceMsgsPerSec} msg/s, ${r.endToEndMsgsPerSec} msg/s end to end (${r.endToEndMBPerSec} MB/s), p50 ${lat.p50Ms} ms, p99 ${lat.p99Ms} ms, CPU µs/msg ${JSON.stringify(r.cpuMicrosPerMsg)}`,
      );
      out.push(r);
    } finally {
      await bus.close();
    }
  }
  return out;
}

/** The clients of this run: all, or those BENCH_BUS_CLIENTS names. */
function benchClients(): KafkaClient[] {
  const raw = process.env.BENCH_BUS_CLIENTS?.trim();
  if (!raw) return [...KAFKA_CLIENTS];
  const named = raw.split(',').map((c) => c.trim());
  for (const c of named) if (!(KAFKA_CLIENTS as readonly string[]).includes(c)) throw new Error(`BENCH_BUS_CLIENTS: unknown client "${c}" (expected ${KAFKA_CLIENTS.join(', ')})`);
  return named as KafkaClient[];
}

const KAFKA_CLIENT_VERSIONS: Record<KafkaClient, string> = {
  kafkajs: `kafkajs ${packageVersion('kafkajs')}`,
  platformatic: `@platformatic/kafka ${packageVersion('@platformatic/kafka')}`,
};

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

export async function run(): Promise<object> {
  const started = Date.now();
  const loadAverageAtStart = loadavg().map((x) => Number(x.toFixed(1)));
  const results: BusBenchResult[] = [];
  results.push(...(await benchBus('embedded', 'embedded', null, () => new EmbeddedBus())));

  let kafka: Record<string, unknown>;
  let broker: KafkaHandle | undefined;
  try {
    let brokers = kafkaBrokersFromEnv();
    const external = brokers !== undefined;
    if (!brokers) {
      broker = await startKafka({ log: progress });
      brokers = broker.brokers;
    }
    const clients = benchClients();
    kafka = {
      version: external ? 'external (KAFKA_BROKERS)' : KAFKA_VERSION,
      brokers,
      clients: clients.map((c) => KAFKA_CLIENT_VERSIONS[c]),
    };
    const b = brokers;
    const make = (client: KafkaClient, idempotent: boolean) => () =>
      client === 'platformatic' ? new PlatformaticKafkaBus({ brokers: b, clientId: 'bench', idempotent }) : new KafkaBus({ brokers: b, clientId: 'bench', idempotent });
    // Untimed broker warm-up (the JVM's JIT): without it the first client measured paid for it (in a trial run
    // the first client's broker CPU per 1 KB record was 3-4x the later clients', whichever client came first).
    progress('broker warm-up ...');
    const warm = make(clients[0], true)();
    try {
      for (const w of WORKLOADS) await throughput(warm, { ...w, messages: Math.min(w.messages, 60 * w.batch) });
    } finally {
      await warm.close();
    }
    for (const client of clients) results.push(...(await benchBus('kafka', client, true, make(client, true), broker?.pid)));
    for (const client of clients) results.push(...(await benchBus('kafka', client, false, make(client, false), broker?.pid, WORKLOADS.slice(0, 1))));
  } catch (e) {
    kafka = { error: (e as Error).message };
    progress(`kafka part failed: ${(e as Error).message}`);
  } finally {
    await broker?.stop();
  }
  return {
    bench: 'bus',
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadAverageAtStart, loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(1))) },
    kafka,
    method:
      'throughput (after an untimed broker warm-up of 60 send batches per size, once, and an untimed warm-up of 20 send batches per row; envelopes encoded before the clock starts): 2 publishers at once, each with sequential send() calls of sendBatch records over its own 8 of 16 keys, into 4 partitions; one consumer (maxBatchSize 500), from first send to last consumed; produce msg/s: from first send to the last acknowledged; ' +
      'latency: paced sends every 10 ms at ratePerSec, send time as the envelope capture time, measured when the handler receives the batch; values are real envelopes of sizeBytes (key + value, no bus headers, as the stages send)',
    results,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}

runIfExecutedDirectly(import.meta.url, run);
