import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createBus } from '../bus/index.js';
import type { Bus } from '../bus/bus.js';
import { decodeMessage, type Prediction } from '../bus/envelope.js';
import { StageRunner } from '../bus/stage-runner.js';
import { TOPICS, allTopics } from '../bus/topics.js';
import type { AppContext, IngestResult, ModelSummary, StageStats, SystemStats } from '../gateway/app-context.js';
import type { AppConfig, StreamConfig } from '../core/config.js';
import { childLogger } from '../core/logger.js';
import { registry, stageMetrics } from '../core/metrics.js';
import { gatewayPredictionRepeats } from '../gateway/gateway-metrics.js';
import { startOpsServer } from '../gateway/ops-server.js';
import { PIPELINE_SAMPLE_RATE } from '../core/audio-format.js';
import { dataRoot, repoRoot } from '../core/paths.js';
import { rootsOf } from '../core/source-paths.js';
import { createGateway } from '../gateway/index.js';
import { ingestCourseBody } from '../ingest/course-source.js';
import { createReceivedFramePublisher } from '../ingest/publish.js';
import { ClassifierPool } from '../inference/classifier-pool.js';
import { loadClassifier } from '../inference/classifier-loader.js';
import { DEFAULT_COMPANIONS_BY_MEDIA, DEFAULT_MODEL_BY_MEDIA } from '../core/route.js';
import { evaluationSummary } from '../inference/evaluation-summary.js';
import { listModels, listVersions, modelsRoot, readVersion } from '../models/model-repository.js';
import { STAGE_NAMES, buildStage, shadowServingFor } from './stages.js';
import { StreamManager } from '../ingest/stream-manager.js';
import { followEnrichedCourses } from '../recommend/bus-consumer.js';
import { openCatalogue } from '../recommend/catalogue-source.js';
import { resolvePopularityScorer } from '../recommend/model-popularity.js';

const log = childLogger({ component: 'app' });

export interface App {
  context: AppContext;
  /** The gateway's base URL once started. */
  url?: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface CreateAppOptions {
  /** Start demo streams when the config has none (default true for `npm start`). */
  demo?: boolean;
  /** Which stages this process runs (default: all). */
  stages?: string[];
  /** Serve the gateway (default true). */
  gateway?: boolean;
  modelsRoot?: string;
  /**
   * Recommendation catalogue: course CSV it is built from (default the shared Udemy CSV, else
   * assets/demo/courses.csv), a snapshot file to load and keep it in (default none: in memory),
   * and whether the live course stream (courses.enriched) updates it (default false).
   */
  catalogue?: { data?: string; snapshot?: string; live?: boolean };
}

/** The course CSV the server's recommendation catalogue is built from by default. */
export function defaultCatalogueData(): string {
  const shared = join(dataRoot(), 'udemy', 'udemy_courses.csv');
  return existsSync(shared) ? shared : join(repoRoot, 'assets', 'demo', 'courses.csv');
}

function busFor(config: AppConfig): Bus {
  return config.bus.kind === 'kafka'
    ? createBus({ kind: 'kafka', brokers: config.bus.brokers, namespace: config.bus.namespace, client: config.bus.client, sasl: config.bus.sasl, ssl: config.bus.ssl })
    : createBus({ kind: 'embedded', defaultPartitions: config.bus.partitions });
}

/** Demo streams for `npm start`: shipped speech clips, plus the shared photos and courses when present. */
export function demoStreams(): StreamConfig[] {
  const out: StreamConfig[] = [];
  const demoDir = join(repoRoot, 'assets', 'demo');
  for (const [id, file] of [
    ['demo-voice-1', 'speech-1.wav'],
    ['demo-voice-2', 'speech-2.wav'],
  ] as const) {
    const p = join(demoDir, file);
    if (existsSync(p)) out.push({ id, source: { kind: 'audio-file', path: p, realtime: true, loop: true } });
  }
  const animals = join(dataRoot(), 'animals');
  if (existsSync(animals)) out.push({ id: 'demo-camera', source: { kind: 'images', path: animals, fps: 1, loop: true } });
  const courses = join(dataRoot(), 'udemy', 'udemy_courses.csv');
  const courseFile = existsSync(courses) ? courses : join(demoDir, 'courses.csv');
  if (existsSync(courseFile)) out.push({ id: 'demo-courses', source: { kind: 'csv', path: courseFile, rate: 2, loop: true, shuffleSeed: 42 } });
  return out;
}

/** Keeps the end-to-end latencies of the last minute for the system panel. */
class LatencyWindow {
  private samples: { at: number; ms: number }[] = [];
  add(ms: number): void {
    const now = Date.now();
    this.samples.push({ at: now, ms });
    if (this.samples.length > 20_000) this.samples.splice(0, this.samples.length - 20_000);
  }
  summary(): { p50: number; p99: number; count: number } {
    const cutoff = Date.now() - 60_000;
    this.samples = this.samples.filter((s) => s.at >= cutoff);
    const v = this.samples.map((s) => s.ms).sort((a, b) => a - b);
    const q = (p: number) => (v.length ? v[Math.min(v.length - 1, Math.floor(p * (v.length - 1) + 0.5))] : 0);
    return { p50: q(0.5), p99: q(0.99), count: v.length };
  }
}

async function metricValues(name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const m = registry.getSingleMetric(name);
  if (!m) return [];
  const got = await m.get();
  return got.values.map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }));
}

export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<App> {
  const root = options.modelsRoot ?? modelsRoot();
  const bus = busFor(config);
  await bus.ensureTopics(allTopics(config.bus.partitions));
  const seenPredictions = new PredictionDeduplicator();
  const streams = new StreamManager(bus, (id) => seenPredictions.forget(id), { roots: rootsOf(config) });
  const producer = bus.producer();
  // Each stream's route travels in its messages' envelopes; stages in this process read it from there too.
  const routing = { hasModel: (name: string) => listVersions(name, root).length > 0 };
  const pool = new ClassifierPool(loadClassifier, { ...config.inference, root });
  const shadow = shadowServingFor(config, root);
  const stageNames = options.stages ?? [...STAGE_NAMES];
  const runners: StageRunner[] = [];
  const latency = new LatencyWindow();
  const listeners = new Set<(p: Prediction) => void>();
  const startedAt = Date.now();
  const framePublishers = new Map<string, ReturnType<typeof createReceivedFramePublisher>>();
  let recommenderRunner: StageRunner | undefined;
  let predictionConsumer: ReturnType<Bus['consumer']> | undefined;
  let gateway: Awaited<ReturnType<typeof createGateway>> | undefined;
  let statsTimer: NodeJS.Timeout | undefined;
  let lastCounts = new Map<string, { in: number; at: number }>();
  let stageStats: StageStats[] = [];

  const refreshStats = async () => {
    const ins = await metricValues('streamlens_stage_messages_in_total');
    const outs = await metricValues('streamlens_stage_messages_out_total');
    const dlq = await metricValues('streamlens_stage_dead_lettered_total');
    const lag = await metricValues('streamlens_consumer_lag');
    const batch = registry.getSingleMetric('streamlens_stage_batch_size');
    const batchValues = batch ? (await batch.get()).values : [];
    const now = Date.now();
    const next = new Map<string, { in: number; at: number }>();
    stageStats = stageNames.map((stage) => {
      const sum = (rows: { labels: Record<string, string | number>; value: number }[]) =>
        rows.filter((r) => r.labels.stage === stage).reduce((a, r) => a + r.value, 0);
      const messagesIn = sum(ins);
      const prev = lastCounts.get(stage);
      next.set(stage, { in: messagesIn, at: now });
      const bsum = batchValues.find((v) => v.labels.stage === stage && (v as { metricName?: string }).metricName?.endsWith('_sum'))?.value ?? 0;
      const bcount = batchValues.find((v) => v.labels.stage === stage && (v as { metricName?: string }).metricName?.endsWith('_count'))?.value ?? 0;
      return {
        stage,
        messagesIn,
        messagesOut: sum(outs),
        deadLettered: sum(dlq),
        ratePerSec: prev && now > prev.at ? ((messagesIn - prev.in) * 1000) / (now - prev.at) : 0,
        batchSizeMean: bcount ? bsum / bcount : 0,
        lag: sum(lag),
      };
    });
    lastCounts = next;
  };

  const context: AppContext = {
    config,
    bus,
    streams: {
      list: () => streams.list(),
      add: (c) => streams.add(c),
      remove: (id) => streams.remove(id),
    },
    models: {
      list: (): ModelSummary[] => {
        // Which version serves: the model servers of this process (refreshed each second); streams: their routes.
        const inferenceHere = stageNames.some((s) => s.startsWith('inference:'));
        const servingSource = inferenceHere
          ? 'this process'
          : 'unknown here: this process runs no inference stage (--stages); the version is the one the stage process loads (its pin, or the highest that loads)';
        const liveStreams = streams.list().filter((s) => s.status === 'running' || s.status === 'starting');
        return listModels(root).map((name) => {
          const serving = servedModels.find((m) => m.name === name)?.version;
          const versions = listVersions(name, root);
          const top = serving ?? (inferenceHere ? undefined : versions[0]); // listVersions: highest first
          const streamsOf = (version: string) =>
            liveStreams.filter((s) => (s.model === name || s.companions?.includes(name)) && (s.model === name && s.modelVersion ? s.modelVersion === version : top === version)).map((s) => s.id);
          return {
            name,
            ...(serving ? { serving } : {}),
            servingSource,
            versions: versions.map((version) => {
              try {
                const { manifest } = readVersion(join(root, name, version));
                const hasReport = manifest.files.report !== undefined && existsSync(join(root, name, version, manifest.files.report));
                return {
                  version,
                  task: manifest.task,
                  created: manifest.created,
                  metrics: manifest.metrics,
                  evaluation: evaluationSummary(manifest.metrics, (manifest as { training?: Record<string, unknown> }).training),
                  streams: streamsOf(version),
                  ...(hasReport ? { report: manifest.files.report } : {}),
                };
              } catch (e) {
                return { version, task: '?', created: '', metrics: {}, evaluation: [], streams: [], error: (e as Error).message };
              }
            }),
          };
        });
      },
      reportPath: (name, version) => {
        if (!/^[a-z0-9_-]+$/.test(name) || !/^\d+$/.test(version)) return undefined;
        try {
          const { manifest, dir } = readVersion(join(root, name, version));
          return manifest.files.report ? join(dir, manifest.files.report) : undefined;
        } catch {
          return undefined;
        }
      },
    },
    predictions: {
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    ingest: {
      async audio(streamId, pcm, sampleRate) {
        if (sampleRate !== PIPELINE_SAMPLE_RATE) throw new Error(`pushed audio must be ${PIPELINE_SAMPLE_RATE} Hz mono Int16 (got ${sampleRate} Hz); the dashboard resamples before sending`);
        const live = await streams.livePcm(streamId);
        live.push(pcm);
      },
      async frame(streamId, jpeg) {
        await streams.ensurePushStream(streamId, 'video');
        let pub = framePublishers.get(streamId);
        if (!pub) framePublishers.set(streamId, (pub = createReceivedFramePublisher(bus, streamId, { route: streams.routeOf(streamId) })));
        pub.push(jpeg);
        streams.countPublished(streamId);
      },
      async courses(streamId, contentType, body): Promise<IngestResult> {
        await streams.ensurePushStream(streamId, 'course');
        const startSeq = streams.get(streamId)!.published;
        // An HTTP client gets an error at once when the bus is down (it retries); files wait the outage out.
        const r = await ingestCourseBody(contentType, body, { producer, streamId, startSeq, route: streams.routeOf(streamId), durable: false });
        streams.countPublished(streamId, r.published + r.deadLettered);
        return { accepted: r.published, rejected: r.deadLettered, errors: Object.entries(r.reasons).map(([k, n]) => `${n} x ${k}`) };
      },
    },
    stats(): SystemStats {
      const servers = stageStats;
      const dropped = streams.list().reduce((a, s) => a + s.dropped, 0);
      return {
        at: Date.now(),
        uptimeSec: Math.round((Date.now() - startedAt) / 1000),
        bus: bus.kind,
        stages: servers,
        latencyMs: latency.summary(),
        dropped,
        deadLettered: servers.reduce((a, s) => a + s.deadLettered, 0),
        models: servedModels,
      };
    },
  };
  let servedModels: { name: string; version?: string }[] = [];
  const refreshServedModels = async () => {
    const servers = await pool.started();
    servedModels = servers.map((s) => {
      try {
        return { name: s.name, version: s.serving().version.manifest.version };
      } catch {
        return { name: s.name };
      }
    });
  };

  const app: App = {
    context,
    async start() {
      // Warm the models before the first live frame: the inference stages' default models (and companions) load
      // now, with the loader's warm-up inference, so the first seconds do not show model loading as a p99.
      const warm = [
        ...(stageNames.includes('inference:audio') ? [DEFAULT_MODEL_BY_MEDIA.audio, ...DEFAULT_COMPANIONS_BY_MEDIA.audio] : []),
        ...(stageNames.includes('inference:image') ? [DEFAULT_MODEL_BY_MEDIA.video, ...DEFAULT_COMPANIONS_BY_MEDIA.video] : []),
      ].filter((n) => routing.hasModel(n));
      await Promise.all(warm.map((n) => pool.server(n).catch((e: Error) => log.warn({ model: n, err: e.message }, 'model cannot be warmed up; it loads on first use'))));
      await refreshServedModels();
      for (const name of stageNames) {
        let def;
        try {
          def = buildStage(name, { pool, routing, modelsRoot: root, shadow });
        } catch (e) {
          log.error({ stage: name, err: (e as Error).message }, 'stage cannot start; its input waits on the bus until it can');
          continue;
        }
        const runner = new StageRunner(bus, def);
        await runner.start();
        runners.push(runner);
      }
      predictionConsumer = bus.consumer({ groupId: `streamlens.dashboard.${process.pid}.${Date.now().toString(36)}`, topics: [TOPICS.predictions], fromBeginning: false });
      await predictionConsumer.run(async (batch) => {
        for (const m of batch.messages) {
          let p: Prediction;
          try {
            const d = decodeMessage(m.value);
            if (d.type !== 'prediction') continue;
            p = d.prediction;
          } catch {
            continue;
          }
          // At-least-once delivery can repeat a prediction (a stage redelivered after a crash or an outage):
          // each names its input, so the dashboard and the REST feed show every input once.
          if (!seenPredictions.first(p)) continue;
          if (typeof p.latencyMs.endToEnd === 'number') latency.add(p.latencyMs.endToEnd);
          for (const l of listeners) l(p);
        }
      });
      statsTimer = setInterval(() => {
        void refreshStats();
        void refreshServedModels();
      }, 1000);
      statsTimer.unref();
      // The course recommender (in the gateway process): its catalogue is built from the course CSV (or a
      // snapshot file given with --catalogue); it follows courses.enriched with its own consumer group only
      // when asked (--live-catalogue), also when the stages run in processes of their own.
      if (options.gateway !== false) {
        try {
          const live = options.catalogue?.live === true;
          const { recommender, summary } = await openCatalogue({
            data: options.catalogue?.data ?? defaultCatalogueData(),
            snapshot: options.catalogue?.snapshot,
            popularity: await resolvePopularityScorer({ modelsRoot: root }),
            live,
            dataOption: '--courses',
          });
          log.info({ size: recommender.size, live }, summary);
          context.recommender = recommender;
          if (live) recommenderRunner = await followEnrichedCourses(bus, recommender);
        } catch (e) {
          log.error({ err: (e as Error).message }, 'course recommender not started');
        }
      }
      if (options.gateway !== false) {
        // The dashboard's Course analysis tab can write the report on a fresh start (POST /api/reports/courses).
        context.writeCourseReport = async (dir) => {
          const { analyzeCourses } = await import('../training/course/analyze.js');
          await analyzeCourses({ data: options.catalogue?.data ?? defaultCatalogueData(), out: dir });
        };
        gateway = await createGateway(context, { host: config.gateway.host, port: config.gateway.port, token: config.gateway.token, metricsToken: config.gateway.metricsToken, allowedOrigins: config.gateway.allowedOrigins });
        app.url = gateway.url;
        log.info({ url: gateway.url, bus: bus.kind }, 'streamlens is up');
        if (!process.env.VITEST) process.stderr.write(`streamlens: dashboard at ${gateway.url}  (metrics: ${gateway.url}/metrics)\n`);
      }
      const configured = config.streams.length > 0 ? config.streams : options.demo === false ? [] : demoStreams();
      for (const s of configured) {
        try {
          await streams.add(s);
        } catch (e) {
          log.error({ stream: s.id, err: (e as Error).message }, 'stream not started');
        }
      }
    },
    async stop() {
      if (statsTimer) clearInterval(statsTimer);
      await streams.stopAll();
      for (const p of framePublishers.values()) await p.close().catch(() => undefined);
      // Drain stages in pipeline order so in-flight work reaches the predictions topic.
      for (const r of runners) await r.stop();
      await recommenderRunner?.stop();
      await predictionConsumer?.stop();
      await gateway?.close();
      await pool.close();
      await shadow?.pool.close();
      await bus.close();
    },
  };
  return app;
}

/**
 * Runs one stage as its own process (scale out with Kafka consumer groups): the stage, and /metrics
 * and /healthz on their own thread (src/gateway/ops-server.ts). Never the dashboard, the REST API or
 * the config's streams: those belong to the gateway process (`start --stages none`). Every stream's
 * model route arrives in its messages' envelopes.
 */
export async function runWorker(config: AppConfig, stage: string, options: { modelsRoot?: string } = {}): Promise<{ url: string; stop(): Promise<void> }> {
  if (!(STAGE_NAMES as readonly string[]).includes(stage)) throw new Error(`unknown stage "${stage}"; stages: ${STAGE_NAMES.join(', ')}`);
  const root = options.modelsRoot ?? modelsRoot();
  const pool = new ClassifierPool(loadClassifier, { ...config.inference, root });
  const shadow = shadowServingFor(config, root);
  const def = buildStage(stage, { pool, routing: { hasModel: (name) => listVersions(name, root).length > 0 }, modelsRoot: root, shadow });
  const bus = busFor(config);
  const ops = await startOpsServer({ host: config.gateway.host, port: config.gateway.port, info: { stage, bus: bus.kind, pid: process.pid }, token: config.gateway.token, metricsToken: config.gateway.metricsToken });
  const runner = new StageRunner(bus, def);
  try {
    // Whichever process starts first creates the topics, with the configured partition count.
    await bus.ensureTopics(allTopics(config.bus.partitions));
    await runner.start();
  } catch (e) {
    await ops.close();
    await bus.close().catch(() => undefined);
    throw e;
  }
  log.info({ stage, bus: bus.kind, ops: ops.url }, 'worker is up');
  if (!process.env.VITEST) process.stderr.write(`streamlens: worker ${stage} on ${bus.kind}; /metrics and /healthz at ${ops.url}\n`);
  return {
    url: ops.url,
    async stop() {
      await runner.stop();
      await pool.close();
      await shadow?.pool.close();
      await bus.close();
      await ops.close();
    },
  };
}

/**
 * Remembers the inputs (stream, kind, seq) whose prediction was already shown, per stream over a
 * bounded window of recent seqs, so repeats from at-least-once redelivery are dropped (and counted).
 */
export class PredictionDeduplicator {
  private readonly recent = new Map<string, Set<number>>();
  repeats = 0;
  constructor(private readonly perStream = 4096) {}

  /** True the first time an input's prediction is seen. */
  first(p: Pick<Prediction, 'streamId' | 'kind' | 'seq'>): boolean {
    const key = `${p.kind}\u0000${p.streamId}`;
    let seen = this.recent.get(key);
    if (!seen) {
      if (this.recent.size >= 10_000) this.recent.delete(this.recent.keys().next().value!);
      this.recent.set(key, (seen = new Set()));
    }
    if (seen.has(p.seq)) {
      this.repeats++;
      gatewayPredictionRepeats.inc({ kind: p.kind });
      return false;
    }
    seen.add(p.seq);
    if (seen.size > this.perStream) seen.delete(seen.values().next().value!);
    return true;
  }

  /** A stream (re)started: its seqs begin again. */
  forget(streamId: string): void {
    for (const key of this.recent.keys()) if (key.endsWith(`\u0000${streamId}`)) this.recent.delete(key);
  }
}

export { stageMetrics };
