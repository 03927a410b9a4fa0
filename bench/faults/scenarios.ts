/**
 * The fault scenarios of the multi-process Kafka deployment (the topology docker-compose.yml runs:
 * a gateway process `start --stages none` and one process per stage), each on the real broker with
 * at least 2,000 inputs keyed across several streams. See bench/faults/harness.ts for the accounting.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { encodeMessage } from '../../src/bus/envelope.js';
import { KafkaBus } from '../../src/bus/kafka.js';
import { TOPICS } from '../../src/bus/topics.js';
import {
  type FaultBroker,
  Observer,
  type ScenarioResult,
  type StreamlensProcess,
  courseStreamFiles,
  deleteNamespace,
  log,
  recoverySeconds,
  sleep,
  spawnStreamlens,
  tally,
  timedGet,
  twoVersionCourseModels,
  until,
} from './harness.js';

/** Rows per stream x streams: 4 x 550 = 2,200 inputs per scenario. */
const STREAMS = 4;
const ROWS = 550;

interface StreamPlan {
  id: string;
  path: string;
  rows: number;
  /** Records per second the source replays at (undefined: as fast as the bus takes them). */
  rate?: number;
  modelVersion?: string;
}

interface TopologyOptions {
  scenario: string;
  broker: FaultBroker;
  streams: StreamPlan[];
  workers: string[];
  modelsRoot?: string;
}

/** One scenario's processes: the workers, the gateway (which plays the streams) and the observer. */
export class Topology {
  readonly namespace: string;
  readonly workers: { stage: string; proc: StreamlensProcess }[] = [];
  gateway?: StreamlensProcess;
  readonly observer: Observer;
  private readonly env: Record<string, string>;
  private readonly configFile: string;

  constructor(private readonly o: TopologyOptions) {
    this.namespace = `faults-${o.scenario}-${Date.now().toString(36)}.`;
    this.env = { STREAMLENS_KAFKA_NAMESPACE: this.namespace, ...(o.modelsRoot ? { STREAMLENS_MODELS: o.modelsRoot } : {}) };
    this.observer = new Observer(o.broker.brokers, this.namespace);
    this.configFile = join(o.streams[0].path, '..', `${o.scenario}.streamlens.yaml`);
    writeFileSync(
      this.configFile,
      stringify({
        streams: o.streams.map((s) => ({ id: s.id, source: { kind: 'csv', path: s.path, ...(s.rate ? { rate: s.rate } : {}) }, ...(s.modelVersion ? { modelVersion: s.modelVersion } : {}) })),
      }),
    );
  }

  private get busArgs(): string[] {
    return ['--bus', 'kafka', '--brokers', this.o.broker.brokers.join(',')];
  }

  async addWorker(stage: string): Promise<StreamlensProcess> {
    const n = this.workers.filter((w) => w.stage === stage).length + 1;
    const proc = await spawnStreamlens(`${stage}#${n}`, ['worker', stage, ...this.busArgs, '--port', '0'], this.env);
    this.workers.push({ stage, proc });
    return proc;
  }

  /** Workers first (they join their groups), then the observer, then the gateway, which starts the streams. */
  async start(): Promise<void> {
    await Promise.all(this.o.workers.map((s) => this.addWorker(s)));
    await this.observer.start();
    this.gateway = await spawnStreamlens('gateway', ['start', ...this.busArgs, '--stages', 'none', '--no-demo', '-c', this.configFile, '--port', '0'], this.env);
    await this.observer.watchGateway(this.gateway.url);
  }

  /** The gateway's stream list: status and acknowledged count per stream. */
  async streams(): Promise<{ id: string; status: string; published: number; dropped: number; error?: string }[]> {
    const r = await fetch(`${this.gateway!.url}/api/streams`, { signal: AbortSignal.timeout(10_000) });
    const body = (await r.json()) as { streams?: unknown } | unknown[];
    return (Array.isArray(body) ? body : (body as { streams: unknown[] }).streams) as { id: string; status: string; published: number; dropped: number; error?: string }[];
  }

  /** Waits until every stream ended, then until each acknowledged input has a prediction (or the deadline). */
  async drain(timeoutMs: number): Promise<{ inputs: { id: string; count: number }[]; statuses: Record<string, string> }> {
    const deadline = Date.now() + timeoutMs;
    let list = await this.streams();
    while (list.some((s) => s.status === 'running' || s.status === 'starting') && Date.now() < deadline) {
      await sleep(500);
      list = await this.streams();
    }
    const inputs = list.map((s) => ({ id: s.id, count: s.published }));
    await until(() => tally(inputs, this.observer.predictions).lost === 0, Math.max(0, deadline - Date.now()), 500);
    // A little longer, so late repeats (redeliveries) are counted too.
    await sleep(1500);
    return { inputs, statuses: Object.fromEntries(list.map((s) => [s.id, s.error ? `${s.status}: ${s.error}` : s.status])) };
  }

  /** Time until predictions flow: the first one observed. */
  async firstPredictions(n = 1, timeoutMs = 90_000): Promise<void> {
    if (!(await until(() => this.observer.predictions.length >= n, timeoutMs))) {
      throw new Error(`${this.o.scenario}: no predictions within ${timeoutMs / 1000} s\n${this.logs()}`);
    }
  }

  logs(): string {
    return [...this.workers.map((w) => w.proc), ...(this.gateway ? [this.gateway] : [])].map((p) => `--- ${p.name}\n${p.stderrTail().slice(-1500)}`).join('\n');
  }

  async close(): Promise<void> {
    await this.observer.stop();
    await Promise.all([...this.workers.map((w) => w.proc), ...(this.gateway ? [this.gateway] : [])].map((p) => p.stop().catch(() => undefined)));
    await deleteNamespace(this.o.broker.brokers, this.namespace);
    rmSync(this.configFile, { force: true });
  }
}

function plans(prefix: string, rate: number | undefined): { plans: StreamPlan[]; cleanup: () => void } {
  const files = courseStreamFiles(prefix, STREAMS, ROWS);
  return { plans: files.streams.map((s) => ({ ...s, rate })), cleanup: () => rmSync(files.dir, { recursive: true, force: true }) };
}

function result(name: string, topology: Topology, drained: Awaited<ReturnType<Topology['drain']>>, recovery: number, details: Record<string, unknown> = {}): ScenarioResult {
  const t = tally(drained.inputs, topology.observer.predictions);
  const repeatsShown = [...topology.observer.shown.values()].filter((n) => n > 1).length;
  const wronglyDeadLettered = topology.observer.deadLetters.length;
  return {
    name,
    acknowledged: t.acknowledged,
    lost: t.lost,
    duplicated: t.duplicated,
    duplicatesFlagged: repeatsShown === 0,
    recoverySeconds: recovery,
    details: {
      predictions: topology.observer.predictions.length,
      shownOnDashboard: topology.observer.shown.size,
      repeatsShownOnDashboard: repeatsShown,
      deadLettered: wronglyDeadLettered,
      deadLetterReasons: [...new Set(topology.observer.deadLetters.map((d) => d.reason))],
      streams: drained.statuses,
      ...(t.lost ? { lostSample: t.lostSample } : {}),
      ...details,
    },
  };
}

/**
 * Recovery after a fault that stops part of the flow: the longest time any stream went without a
 * new prediction, from the fault on (a stream whose partitions moved waits for the takeover).
 */
function longestStall(topology: Topology, streams: string[], faultAt: number): number {
  let worst = 0;
  for (const id of streams) {
    const times = topology.observer.predictions.filter((p) => p.streamId === id && p.at >= faultAt).map((p) => p.at);
    let prev = faultAt;
    for (const at of times) {
      worst = Math.max(worst, at - prev);
      prev = at;
    }
  }
  return Math.round(worst / 100) / 10;
}

async function counter(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.split(' ').pop());
  return sum;
}

type Scenario = (broker: FaultBroker) => Promise<ScenarioResult>;

/** Two inference workers share a group; one gets SIGKILL mid-stream; the survivor takes its partitions over. */
export const killWorker: Scenario = async (broker) => {
  const { plans: streams, cleanup } = plans('kill', 60);
  const t = new Topology({ scenario: 'kill-worker', broker, streams, workers: ['features:course', 'inference:course', 'inference:course'] });
  try {
    await t.start();
    await t.firstPredictions(200);
    // Kill a worker that is really serving partitions: wait until both have consumed (the group may
    // still be settling, and a worker's /metrics snapshot can lag), then take the busier one.
    const inference = t.workers.filter((w) => w.stage === 'inference:course').map((w) => w.proc);
    const consumed = async () => Promise.all(inference.map((p) => counter(p.url, 'streamlens_stage_messages_in_total')));
    let seen = await consumed();
    for (const until = Date.now() + 5000; seen.some((n) => n === 0) && Date.now() < until; ) {
      await sleep(250);
      seen = await consumed();
    }
    const victimIndex = seen.indexOf(Math.max(...seen));
    const victim = inference[victimIndex];
    const victimIn = seen[victimIndex];
    const faultAt = Date.now();
    victim.kill();
    log(`kill-worker: SIGKILL ${victim.name} (pid ${victim.pid}) after it consumed ${victimIn} records`);
    const drained = await t.drain(180_000);
    return result('kill-worker', t, drained, longestStall(t, streams.map((s) => s.id), faultAt), { killedWorkerHadConsumed: victimIn, killExit: await victim.exited });
  } finally {
    await t.close();
    cleanup();
  }
};

/** The broker is stopped for 10 s and started again on the same data while streams flow. */
export const brokerRestart: Scenario = async (broker) => {
  const { plans: streams, cleanup } = plans('restart', 40);
  const t = new Topology({ scenario: 'broker-restart', broker, streams, workers: ['features:course', 'inference:course'] });
  try {
    await t.start();
    await t.firstPredictions(200);
    const downAt = Date.now();
    await broker.down();
    await sleep(10_000);
    await broker.up();
    const upAt = Date.now();
    log(`broker-restart: broker was down ${((upAt - downAt) / 1000).toFixed(1)} s`);
    const drained = await t.drain(240_000);
    return result('broker-restart', t, drained, recoverySeconds(t.observer.predictions, upAt), { outageSeconds: Math.round((upAt - downAt) / 100) / 10 });
  } finally {
    await t.close();
    cleanup();
  }
};

/** A third inference worker joins mid-stream, then one of the first two leaves cleanly. */
export const rebalance: Scenario = async (broker) => {
  // 20 records/s per stream: the streams last ~27 s, so the joining worker (a new process that loads and warms
  // its model first) is assigned partitions while there is still input to consume.
  const { plans: streams, cleanup } = plans('rebalance', 20);
  const t = new Topology({ scenario: 'rebalance', broker, streams, workers: ['features:course', 'inference:course', 'inference:course'] });
  try {
    await t.start();
    await t.firstPredictions(100);
    const joined = await t.addWorker('inference:course');
    const joinAt = Date.now();
    // Leave only once the joined worker has consumed (it holds partitions), at least 4 s after the join.
    for (let waited = 0; waited < 30_000 && (await counter(joined.url, 'streamlens_stage_messages_in_total')) === 0; waited += 250) await sleep(250);
    await sleep(Math.max(0, 4000 - (Date.now() - joinAt)));
    const leaver = t.workers.filter((w) => w.stage === 'inference:course')[0].proc;
    const leaveAt = Date.now();
    await leaver.stop();
    const leaveExit = await leaver.exited;
    const drained = await t.drain(180_000);
    const joinedIn = await counter(joined.url, 'streamlens_stage_messages_in_total');
    return result('rebalance', t, drained, longestStall(t, streams.map((s) => s.id), leaveAt), {
      joinedWorkerConsumed: joinedIn,
      leaverExitCode: leaveExit,
      secondsBetweenJoinAndLeave: Math.round((leaveAt - joinAt) / 100) / 10,
    });
  } finally {
    await t.close();
    cleanup();
  }
};

/** Two streams pinned to the older of two model versions, two on the default: served by the right version in separate worker processes. */
export const routing: Scenario = async (broker) => {
  const modelsRoot = twoVersionCourseModels();
  const { plans: base, cleanup } = plans('routing', 80);
  const [pinned, latest] = readdirSync(join(modelsRoot, 'course')).sort((a, b) => Number(a) - Number(b));
  const streams = base.map((s, i) => (i % 2 === 0 ? { ...s, modelVersion: pinned } : s));
  const t = new Topology({ scenario: 'routing', broker, streams, workers: ['features:course', 'inference:course'], modelsRoot });
  try {
    await t.start();
    const drained = await t.drain(180_000);
    const wrong = t.observer.predictions.filter((p) => p.version !== (streams.find((s) => s.id === p.streamId)?.modelVersion ?? latest));
    return result('routing', t, drained, 0, {
      pinnedVersion: pinned,
      defaultVersion: latest,
      pinnedStreams: streams.filter((s) => s.modelVersion).map((s) => s.id),
      servedByWrongVersion: wrong.length,
      versionsSeen: [...new Set(t.observer.predictions.map((p) => `${p.streamId}@${p.version}`))].sort(),
    });
  } finally {
    await t.close();
    cleanup();
    rmSync(modelsRoot, { recursive: true, force: true });
  }
};

/** The broker is down for 60 s: file sources pause and resume by themselves; nothing is lost or wrongly dead-lettered. */
export const brokerOutageLong: Scenario = async (broker) => {
  const { plans: streams, cleanup } = plans('outage', 30);
  const t = new Topology({ scenario: 'broker-outage-long', broker, streams, workers: ['features:course', 'inference:course'] });
  try {
    await t.start();
    await t.firstPredictions(150);
    const before = await t.streams();
    const downAt = Date.now();
    await broker.down();
    await sleep(60_000);
    const during = await t.streams();
    await broker.up();
    const upAt = Date.now();
    const drained = await t.drain(300_000);
    return result('broker-outage-long', t, drained, recoverySeconds(t.observer.predictions, upAt), {
      outageSeconds: Math.round((upAt - downAt) / 100) / 10,
      acknowledgedBeforeOutage: before.reduce((a, s) => a + s.published, 0),
      acknowledgedDuringOutage: during.reduce((a, s) => a + s.published, 0) - before.reduce((a, s) => a + s.published, 0),
      statusesDuringOutage: Object.fromEntries(during.map((s) => [s.id, s.status])),
    });
  } finally {
    await t.close();
    cleanup();
  }
};

/** Undecodable values interleaved with the streams' records go to the dead-letter topic with a reason and block nothing. */
export const poison: Scenario = async (broker) => {
  const { plans: streams, cleanup } = plans('poison', 60);
  const t = new Topology({ scenario: 'poison', broker, streams, workers: ['features:course', 'inference:course'] });
  const injector = new KafkaBus({ brokers: broker.brokers, namespace: t.namespace, clientId: 'fault-poison' });
  try {
    await t.start();
    await t.firstPredictions(50);
    const good = encodeMessage({ type: 'course.raw', env: { streamId: streams[0].id, seq: 0, capturedAt: Date.now() }, record: { course_id: 'x' } }).value;
    const kinds: Buffer[] = [
      Buffer.from('not an envelope at all'),
      good.subarray(0, 20), // truncated
      Buffer.concat([good.subarray(0, 2), Buffer.from([9]), good.subarray(3)]), // unknown version
      Buffer.alloc(0),
      Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) % 256)), // noise
    ];
    let injected = 0;
    for (let round = 0; round < 10; round++) {
      for (const s of streams) {
        const value = kinds[(round + injected) % kinds.length];
        await injector.producer().send(TOPICS.coursesRaw, [{ key: s.id, value }]);
        injected++;
      }
      await sleep(300);
    }
    const drained = await t.drain(180_000);
    const r = result('poison', t, drained, 0, { poisonInjected: injected });
    const dlq = t.observer.deadLetters;
    // The poison is the only thing dead-lettered; report it apart from "wrongly dead-lettered".
    r.details.deadLettered = dlq.length;
    r.details.poisonDeadLettered = dlq.filter((d) => d.topic === 'courses.raw.dlq' && ['decode', 'version', 'schema'].includes(d.reason)).length;
    return r;
  } finally {
    await injector.close();
    await t.close();
    cleanup();
  }
};

/** Streams at full speed (no rate limit); /healthz and /metrics of every process are polled throughout. */
export const healthUnderLoad: Scenario = async (broker) => {
  const { plans: streams, cleanup } = plans('health', undefined);
  const t = new Topology({ scenario: 'health-under-load', broker, streams, workers: ['features:course', 'inference:course'] });
  const samples: { proc: string; path: string; ms: number; status: number }[] = [];
  let polling = true;
  try {
    await t.start();
    const procs = () => [t.gateway!, ...t.workers.map((w) => w.proc)];
    const poller = (async () => {
      while (polling) {
        await Promise.all(
          procs().flatMap((p) =>
            ['/healthz', '/metrics'].map(async (path) => {
              const r = await timedGet(`${p.url}${path}`);
              samples.push({ proc: p.name, path, ms: r.ms, status: r.status });
            }),
          ),
        );
        await sleep(250);
      }
    })();
    const drained = await t.drain(180_000);
    polling = false;
    await poller;
    const worst = (path: string) => Math.round(Math.max(0, ...samples.filter((s) => s.path === path).map((s) => s.ms)));
    const byProc = Object.fromEntries(procs().map((p) => [p.name, Math.round(Math.max(0, ...samples.filter((s) => s.proc === p.name).map((s) => s.ms)))]));
    return result('health-under-load', t, drained, 0, {
      probes: samples.length,
      failedProbes: samples.filter((s) => s.status !== 200).length,
      worstHealthzMs: worst('/healthz'),
      worstMetricsMs: worst('/metrics'),
      worstMsByProcess: byProc,
    });
  } finally {
    polling = false;
    await t.close();
    cleanup();
  }
};

export const SCENARIOS: Record<string, Scenario> = {
  'kill-worker': killWorker,
  'broker-restart': brokerRestart,
  rebalance,
  routing,
  'broker-outage-long': brokerOutageLong,
  poison,
  'health-under-load': healthUnderLoad,
};

/**
 * The deployment docker-compose.yml describes, run from its own service commands (ports set to 0 and
 * the bind address to loopback, since every process shares this machine): the gateway plus one
 * process per stage. A course file, a speech clip and a folder of photos added through the gateway's
 * REST API must come back as predictions of all three kinds, each served by a worker process.
 */
export async function composeTopology(broker: FaultBroker, inputs: { audioFile: string; imagesDir: string; csv: string }): Promise<{
  services: string[];
  predictionsByKind: Record<string, number>;
  streams: Record<string, string>;
  /** Feedback posted to the gateway for a prediction a worker made: its answer and the gateway's counter after it. */
  feedback: { status: number; body: Record<string, unknown>; counted: number };
}> {
  const { readFileSync } = await import('node:fs');
  const { parse } = await import('yaml');
  const { repoRoot } = await import('../../src/core/paths.js');
  const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { command?: string[] }> };
  const namespace = `faults-compose-${Date.now().toString(36)}.`;
  const env = { KAFKA_BROKERS: broker.brokers.join(','), STREAMLENS_KAFKA_NAMESPACE: namespace, HOST: '127.0.0.1' };
  const local = (cmd: string[]) =>
    cmd.map((a, i) => (cmd[i - 1] === '--port' ? '0' : cmd[i - 1] === '--host' ? '127.0.0.1' : a));
  const procs: StreamlensProcess[] = [];
  const observer = new Observer(broker.brokers, namespace);
  const kinds = new Map<string, number>();
  const made: { id?: string; label: string; model: { name: string; version: string } }[] = [];
  try {
    const services = Object.entries(compose.services).filter(([, s]) => Array.isArray(s.command) && (s.command[0] === 'worker' || s.command[0] === 'start'));
    const workers = services.filter(([, s]) => s.command![0] === 'worker');
    const gateway = services.find(([, s]) => s.command![0] === 'start');
    if (!gateway) throw new Error('docker-compose.yml has no gateway service (`start ...`)');
    procs.push(...(await Promise.all(workers.map(([name, s]) => spawnStreamlens(name, local(s.command!), env)))));
    await observer.start();
    const gw = await spawnStreamlens(gateway[0], [...local(gateway[1].command!), '--no-demo'], env);
    procs.push(gw);
    const { KafkaBus: Bus } = await import('../../src/bus/kafka.js');
    const watch = new Bus({ brokers: broker.brokers, namespace, clientId: 'compose-kinds' });
    const c = watch.consumer({ groupId: 'compose-kinds', topics: [TOPICS.predictions], fromBeginning: true });
    const { decodeMessage } = await import('../../src/bus/envelope.js');
    await c.run(async (batch) => {
      for (const m of batch.messages) {
        const d = decodeMessage(m.value);
        if (d.type !== 'prediction') continue;
        kinds.set(d.prediction.kind, (kinds.get(d.prediction.kind) ?? 0) + 1);
        if (d.prediction.kind === 'image') made.push(d.prediction);
      }
    });
    const add = async (body: unknown) => {
      const r = await fetch(`${gw.url}/api/streams`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      if (r.status !== 201) throw new Error(`POST /api/streams answered ${r.status}: ${await r.text()}`);
    };
    await add({ id: 'compose-courses', source: { kind: 'csv', path: inputs.csv } });
    await add({ id: 'compose-voice', source: { kind: 'audio-file', path: inputs.audioFile, realtime: false } });
    await add({ id: 'compose-camera', source: { kind: 'images', path: inputs.imagesDir, fps: 20 } });
    await until(() => ['audio', 'image', 'course'].every((k) => (kinds.get(k) ?? 0) > 0), 120_000);
    // Feedback through the gateway for a prediction an inference worker made: the gateway remembers what it
    // consumed from the predictions topic (it may not have read this one yet: retried while it answers 404).
    const target = made[made.length - 1];
    let feedback = { status: 0, body: {} as Record<string, unknown>, counted: 0 };
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((res) => setTimeout(res, 250))) {
      const r = await fetch(`${gw.url}/api/feedback`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ predictionId: target.id, label: target.label }) });
      feedback = { status: r.status, body: (await r.json()) as Record<string, unknown>, counted: 0 };
      if (r.status !== 404) break;
    }
    const metricsText = await (await fetch(`${gw.url}/metrics`)).text();
    const line = metricsText.split('\n').find((l) => l.startsWith('streamlens_feedback_total{') && l.includes(`model="${target.model.name}"`) && l.includes('correct="true"'));
    feedback.counted = line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    const list = (await (await fetch(`${gw.url}/api/streams`)).json()) as { streams: { id: string; status: string; error?: string }[] };
    await c.stop();
    await watch.close();
    return {
      services: services.map(([n]) => n),
      predictionsByKind: Object.fromEntries(kinds),
      streams: Object.fromEntries(list.streams.map((s) => [s.id, s.error ? `${s.status}: ${s.error}` : s.status])),
      feedback,
    };
  } finally {
    await observer.stop();
    await Promise.all(procs.map((p) => p.stop().catch(() => undefined)));
    await deleteNamespace(broker.brokers, namespace);
  }
}
