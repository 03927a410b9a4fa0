/**
 * Multi-process fault harness: a real Kafka broker of its own (stopped and restarted on the same
 * data directory), a gateway process (`streamlens start --stages none`) that reads course CSV files
 * as streams, and one process per stage (`streamlens worker <stage>`), all real child processes
 * started from bin/streamlens.mjs and killed by pid. An observer consumes `predictions` and the
 * dead-letter topics from the beginning and, as a dashboard would, the gateway's WebSocket; the
 * accounting says, for every input the bus acknowledged, whether it got a prediction, and how often.
 *
 * Used by test/faults/*.test.ts (in `npm test`) and by `npm run bench -- faults` (bench/faults.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { WebSocket } from 'ws';
import { KafkaBus } from '../../src/bus/kafka.js';
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer } from '../../src/bus/bus.js';
import { decodeMessage } from '../../src/bus/envelope.js';
import { type KafkaHandle, startKafka } from '../../src/bus/kafka-broker.js';
import { TOPICS, deadLetterTopic } from '../../src/bus/topics.js';
import { repoRoot, requireDataPath } from '../../src/core/paths.js';
import { defaultSourceDirs } from '../../src/core/source-paths.js';
import { parseCourse } from '../../src/features/course/schema.js';

export const log = (line: string) => process.stderr.write(`[faults] ${line}\n`);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

// ---- the broker -------------------------------------------------------------------------------

/** A broker this harness owns: same port and data directory across stop/start. */
export class FaultBroker {
  private handle?: KafkaHandle;
  private constructor(
    readonly port: number,
    readonly controllerPort: number,
    readonly dataDir: string,
  ) {}

  static async start(): Promise<FaultBroker> {
    const dir = mkdtempSync(join(tmpdir(), 'streamlens-faults-'));
    const b = new FaultBroker(await freePort(), await freePort(), join(dir, 'data'));
    await b.up();
    return b;
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  async up(): Promise<void> {
    this.handle = await startKafka({ port: this.port, controllerPort: this.controllerPort, dataDir: this.dataDir, log: (l) => log(`broker: ${l}`) });
  }

  /** Stops the broker process (SIGTERM, as an operator's restart would); its data stays. */
  async down(): Promise<void> {
    await this.handle?.stop();
    this.handle = undefined;
  }

  async close(): Promise<void> {
    await this.down();
    rmSync(join(this.dataDir, '..'), { recursive: true, force: true });
  }
}

// ---- processes ----------------------------------------------------------------------------------

export interface StreamlensProcess {
  name: string;
  pid: number;
  /** Base URL of its HTTP server (the gateway's, or a worker's /metrics + /healthz). */
  url: string;
  exited: Promise<number | null>;
  /** SIGKILL: the process dies at once, with whatever it had in flight. */
  kill(): void;
  /** SIGTERM and wait: a clean leave (the worker drains, commits and leaves its group). */
  stop(): Promise<void>;
  stderrTail(): string;
}

/** The environment of a child: this one's, less the test runner's markers (the child logs and prints as in production). */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(VITEST|TEST|NODE_OPTIONS$)/.test(k)) env[k] = v;
  // The scenarios' course files and photos live in the temp folder: let file sources read there
  // (sources.allowedDirs), beside the defaults (demo assets, data directory).
  const sourceDirs = [tmpdir(), ...defaultSourceDirs()].join(delimiter);
  return { ...env, LOG_LEVEL: 'warn', STREAMLENS_SOURCE_DIRS: sourceDirs, ...extra };
}

/** Starts `streamlens <args>` as a child process and resolves once it printed the URL it serves. */
export async function spawnStreamlens(name: string, args: string[], env: Record<string, string>): Promise<StreamlensProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(repoRoot, 'bin', 'streamlens.mjs'), ...args], {
    cwd: repoRoot,
    env: childEnv(env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let tail = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not come up within 90 s:\n${tail}`)), 90_000);
    child.stderr!.on('data', (d: Buffer) => {
      tail = (tail + d.toString()).slice(-8000);
      const m = /(?:dashboard at|\/healthz at) (http:\/\/\S+)/.exec(tail);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it came up:\n${tail}`));
    });
  });
  const pid = child.pid!;
  return {
    name,
    pid,
    url,
    exited,
    kill: () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
    stop: async () => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
    stderrTail: () => tail,
  };
}

// ---- inputs ------------------------------------------------------------------------------------

export interface CourseStreamFiles {
  dir: string;
  /** stream id -> CSV path and how many rows it holds (all valid, unique course ids). */
  streams: { id: string; path: string; rows: number }[];
}

/** Splits the real Udemy CSV (valid rows, unique course ids) into `count` files of `rowsEach` rows. */
export function courseStreamFiles(prefix: string, count: number, rowsEach: number): CourseStreamFiles {
  const text = readFileSync(requireDataPath('udemy/udemy_courses.csv', 'Udemy courses CSV'), 'utf8');
  const rows = parseCsv(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const seen = new Set<string>();
  const valid: Record<string, string>[] = [];
  for (const r of rows) {
    if (seen.has(r.course_id)) continue;
    try {
      parseCourse(r, { now: Date.now() });
    } catch {
      continue;
    }
    seen.add(r.course_id);
    valid.push(r);
  }
  if (valid.length < count * rowsEach) throw new Error(`the course CSV has ${valid.length} usable rows; ${count} x ${rowsEach} were asked for`);
  const columns = Object.keys(rows[0]);
  const quote = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const dir = mkdtempSync(join(tmpdir(), 'streamlens-fault-inputs-'));
  const streams = Array.from({ length: count }, (_, i) => {
    const id = `${prefix}-${i + 1}`;
    const path = join(dir, `${id}.csv`);
    const slice = valid.slice(i * rowsEach, (i + 1) * rowsEach);
    writeFileSync(path, [columns.join(','), ...slice.map((r) => columns.map((c) => quote(r[c] ?? '')).join(','))].join('\n') + '\n');
    return { id, path, rows: slice.length };
  });
  return { dir, streams };
}

// ---- the observer ------------------------------------------------------------------------------

export interface ObservedPrediction {
  streamId: string;
  seq: number;
  version: string;
  at: number;
}

/** Reads `predictions` and the dead-letter topics of a namespace from the beginning, and the gateway's WebSocket. */
export class Observer {
  readonly predictions: ObservedPrediction[] = [];
  readonly deadLetters: { topic: string; reason: string; error: string }[] = [];
  /** input key -> times the gateway's WebSocket showed it. */
  readonly shown = new Map<string, number>();
  private readonly bus: KafkaBus;
  private consumers: Consumer[] = [];
  private ws?: WebSocket;

  constructor(brokers: string[], readonly namespace: string) {
    this.bus = new KafkaBus({ brokers, namespace, clientId: 'fault-observer' });
  }

  async start(): Promise<void> {
    const p = this.bus.consumer({ groupId: 'fault-observer.predictions', topics: [TOPICS.predictions], fromBeginning: true, maxBatchSize: 1000 });
    await p.run(async (batch) => {
      for (const m of batch.messages) {
        const d = decodeMessage(m.value);
        if (d.type !== 'prediction') continue;
        this.predictions.push({ streamId: d.prediction.streamId, seq: d.prediction.seq, version: d.prediction.model.version, at: Date.now() });
      }
    });
    const dlqTopics = [TOPICS.coursesRaw, TOPICS.coursesEnriched].map(deadLetterTopic);
    const d = this.bus.consumer({ groupId: 'fault-observer.dlq', topics: dlqTopics, fromBeginning: true });
    await d.run(async (batch) => {
      for (const m of batch.messages) this.deadLetters.push({ topic: batch.topic, reason: m.headers['dlq.reason'] ?? '?', error: m.headers['dlq.error'] ?? '' });
    });
    this.consumers = [p, d];
  }

  /** Subscribes to every stream on the gateway's WebSocket, as the dashboard does. */
  async watchGateway(url: string): Promise<void> {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + '/ws');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'subscribe', streams: '*' }));
    ws.on('message', (data, binary) => {
      if (binary) return;
      const m = JSON.parse(data.toString()) as { type: string; prediction?: { streamId: string; kind: string; seq: number } };
      if (m.type !== 'prediction' || !m.prediction) return;
      const key = `${m.prediction.streamId}#${m.prediction.seq}`;
      this.shown.set(key, (this.shown.get(key) ?? 0) + 1);
    });
    this.ws = ws;
  }

  async stop(): Promise<void> {
    this.ws?.close();
    for (const c of this.consumers) await c.stop().catch(() => undefined);
    await this.bus.close().catch(() => undefined);
  }
}

// ---- accounting ----------------------------------------------------------------------------------

export interface ScenarioResult {
  name: string;
  /** Inputs the bus acknowledged to their source. */
  acknowledged: number;
  /** Acknowledged inputs with no prediction (a wrongly dead-lettered input counts here). */
  lost: number;
  /** Inputs with more than one prediction on the predictions topic (at-least-once repeats). */
  duplicated: number;
  /** Every prediction names its input, and the gateway showed no input twice to its dashboard clients. */
  duplicatesFlagged: boolean;
  /** From the fault to the first prediction after it (seconds); 0 where no fault stops the flow. */
  recoverySeconds: number;
  /** Scenario-specific measurements. */
  details: Record<string, unknown>;
}

export interface Tally {
  acknowledged: number;
  lost: number;
  duplicated: number;
  lostSample: string[];
}

/** For inputs (streamId, seq in [0, count)), counts the missing and the repeated predictions. */
export function tally(inputs: { id: string; count: number }[], predictions: ObservedPrediction[]): Tally {
  const times = new Map<string, number>();
  for (const p of predictions) {
    const k = `${p.streamId}#${p.seq}`;
    times.set(k, (times.get(k) ?? 0) + 1);
  }
  let acknowledged = 0;
  let lost = 0;
  let duplicated = 0;
  const lostSample: string[] = [];
  for (const s of inputs) {
    for (let seq = 0; seq < s.count; seq++) {
      acknowledged++;
      const n = times.get(`${s.id}#${seq}`) ?? 0;
      if (n === 0) {
        lost++;
        if (lostSample.length < 10) lostSample.push(`${s.id}#${seq}`);
      } else if (n > 1) duplicated++;
    }
  }
  return { acknowledged, lost, duplicated, lostSample };
}

/** Seconds from `faultAt` until the first prediction observed after it (the flow came back). */
export function recoverySeconds(predictions: ObservedPrediction[], faultAt: number, resumedAt = faultAt): number {
  const next = predictions.find((p) => p.at > resumedAt);
  return next ? Math.round((next.at - faultAt) / 100) / 10 : Number.POSITIVE_INFINITY;
}

/** Waits until `done()` holds, or the deadline; returns whether it held. */
export async function until(done: () => boolean, timeoutMs: number, pollMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done()) return true;
    await sleep(pollMs);
  }
  return done();
}

/** GET a JSON document from a process, timing it. */
export async function timedGet(url: string, timeoutMs = 5000): Promise<{ status: number; ms: number }> {
  const t = performance.now();
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await r.arrayBuffer();
    return { status: r.status, ms: performance.now() - t };
  } catch {
    return { status: 0, ms: performance.now() - t };
  }
}

/** Deletes every topic of a namespace (a scenario's leftovers). */
export async function deleteNamespace(brokers: string[], namespace: string): Promise<void> {
  const admin = new Kafka({ brokers, clientId: 'fault-cleanup', logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(namespace));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 30_000 });
  } catch (e) {
    log(`could not delete the topics of ${namespace}: ${(e as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** A models folder holding the shipped course model as two versions (the old one to pin, a newer default). */
export function twoVersionCourseModels(): string {
  const dir = mkdtempSync(join(tmpdir(), 'streamlens-fault-models-'));
  const src = join(repoRoot, 'models', 'course');
  const versions = readdirNumeric(src);
  const shipped = versions[versions.length - 1];
  for (const v of [shipped, String(Number(shipped) + 1)]) {
    const to = join(dir, 'course', v);
    mkdirSync(to, { recursive: true });
    for (const f of readdirFiles(join(src, shipped))) {
      let body = readFileSync(join(src, shipped, f));
      if (f === 'manifest.json') {
        const m = JSON.parse(body.toString('utf8')) as { version: string };
        m.version = v;
        body = Buffer.from(JSON.stringify(m, null, 2));
      }
      writeFileSync(join(to, f), body);
    }
  }
  return dir;
}

function readdirNumeric(dir: string): string[] {
  return readdirFiles(dir, true)
    .filter((n) => /^\d+$/.test(n))
    .sort((a, b) => Number(a) - Number(b));
}

function readdirFiles(dir: string, dirs = false): string[] {
  return readdirSync(dir).filter((n) => statSync(join(dir, n)).isDirectory() === dirs);
}
