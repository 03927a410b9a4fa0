/**
 * Vision pipeline benchmark (animal recognition), one JSON object on stdout:
 *  - decode + resize (sharp, one image at a time, libvips concurrency 1) in frames/s per core, for the
 *    shipped model's input size and for 64x64, on real photos;
 *  - inference of the shipped ONNX model (onnxruntime-node, one intra-op thread = one core) in
 *    frames/s at batch 1 and batched (8, 32);
 *  - end-to-end latency from frame capture to prediction (p50/p99) with 1, 5 and 20 live camera
 *    streams at 5 fps through ingest -> features:image -> inference:video on the embedded bus (Kafka when
 *    KAFKA_BROKERS is set), and the frames dropped by live drop-oldest under backpressure.
 * Cameras are simulated by live sources replaying real photos as JPEG at 5 fps each (capture time =
 * when the frame is handed to the publisher), so the measurement covers everything after capture.
 *
 *   npx tsx bench/vision.ts          (BENCH_VISION_SECONDS, default 12 s per stream count)
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { benchBuses, cpuCores, localBrokerPid, scenarioBus } from './scenario-bus.js';
import { decodeMessage } from '../src/bus/envelope.js';
import { StageRunner } from '../src/bus/stage-runner.js';
import { TOPICS } from '../src/bus/topics.js';
import { dataRoot } from '../src/core/paths.js';
import { decodeResizedRgb, normaliseRgb } from '../src/features/image/preprocess.js';
import { parseImageFeatureSettings, SMALL_CNN_INPUT_SETTINGS } from '../src/features/image/settings.js';
import { imageFeaturesStageForModel } from '../src/features/image/stage.js';
import { loadClassifier } from '../src/inference/classifier-loader.js';
import { ClassifierPool } from '../src/inference/classifier-pool.js';
import { resolveModel } from '../src/models/model-repository.js';
import { tensorInferenceStage } from '../src/inference/stage.js';
import type { CapturedFrame, FrameSource } from '../src/ingest/frame.js';
import { publishVideoSource } from '../src/ingest/publish.js';
import { listImageDataset, recordedTestSplit } from '../src/ingest/image-dataset.js';
import { runIfExecutedDirectly } from './run-directly.js';

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const r2 = (x: number) => Math.round(x * 100) / 100;

/** A live camera replaying JPEGs at `fps` (wall clock), for `seconds`. */
function fakeCamera(jpegs: Buffer[], fps: number, seconds: number, offset: number): FrameSource {
  let closed = false;
  return {
    live: true,
    description: 'simulated camera',
    async *[Symbol.asyncIterator]() {
      const t0 = Date.now() + offset;
      for (let seq = 0; seq < fps * seconds && !closed; seq++) {
        const due = t0 + (seq * 1000) / fps - Date.now();
        if (due > 0) await new Promise((r) => setTimeout(r, due));
        const f: CapturedFrame = { jpeg: jpegs[seq % jpegs.length], seq, capturedAt: Date.now(), ptsSec: seq / fps };
        yield f;
      }
    },
    async close() {
      closed = true;
    },
  };
}

export async function run(): Promise<object> {
  sharp.concurrency(1);
  const seconds = Number(process.env.BENCH_VISION_SECONDS ?? 12);
  const version = resolveModel('animal');
  const settings = parseImageFeatureSettings(version.manifest.features.settings);
  const ds = listImageDataset(join(dataRoot(), 'animals'));
  // The model's held-out test photos (never trained on): a cascade escalates more of unseen photos than of training ones.
  const pool = recordedTestSplit(version.manifest.training, ds.items) ?? ds.items;
  const photos = ds.labels.flatMap((l) => pool.filter((i) => i.label === l).slice(0, 20)).map((i) => readFileSync(i.file));
  // Camera-like frames: 640x480 JPEG (q 85) made from the photos.
  const frames = await Promise.all(photos.map((p) => sharp(p).resize(640, 480, { fit: 'fill' }).jpeg({ quality: 85 }).toBuffer()));

  // ---- decode + resize per core ----
  const decodeRate = async (inputs: Buffer[], s: typeof settings) => {
    for (const b of inputs.slice(0, 5)) await decodeResizedRgb(b, s);
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 3000) {
      const rgb = (await decodeResizedRgb(inputs[n % inputs.length], s)).rgb;
      normaliseRgb(rgb, s);
      n++;
    }
    return r2(n / ((performance.now() - t0) / 1000));
  };
  process.stderr.write('[bench:vision] decode + resize\n');
  const decode = {
    [`photos ~500px -> ${settings.width}x${settings.height}`]: await decodeRate(photos, settings),
    [`640x480 frames -> ${settings.width}x${settings.height}`]: await decodeRate(frames, settings),
    '640x480 frames -> 64x64': await decodeRate(frames, SMALL_CNN_INPUT_SETTINGS),
  };

  // ---- inference per core ----
  process.stderr.write('[bench:vision] inference\n');
  const session = await ort.InferenceSession.create(join(version.dir, version.manifest.files.onnx!), { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const item = settings.width * settings.height * 3;
  const inference: Record<string, number> = {};
  for (const batch of [1, 8, 32]) {
    const x = new ort.Tensor('float32', new Float32Array(batch * item).fill(0.5), [batch, settings.height, settings.width, 3]);
    await session.run({ [session.inputNames[0]]: x });
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 3000) {
      await session.run({ [session.inputNames[0]]: x });
      n += batch;
    }
    inference[`batch ${batch}`] = r2(n / ((performance.now() - t0) / 1000));
  }
  await session.release();

  // ---- end to end on the bus ----
  const streams: Record<string, unknown>[] = [];
  const brokerPid = await localBrokerPid();
  const counts = (process.env.BENCH_VISION_CAMERAS ?? '1,5,10,15,20').split(',').map(Number);
  for (const busKind of benchBuses())
  for (const count of counts) {
    process.stderr.write(`[bench:vision] end to end on ${busKind}, ${count} streams x 5 fps, ${seconds} s\n`);
    const scenario = scenarioBus(`vision-${count}`, busKind);
    const bus = scenario.bus;
    const pool = new ClassifierPool(loadClassifier, { maxBatchSize: 32, maxWaitMs: 5, reloadIntervalMs: 0 });
    const features = new StageRunner(bus, imageFeaturesStageForModel('animal', undefined, undefined, { concurrency: 2 }));
    const inferenceStage = new StageRunner(bus, tensorInferenceStage('video', pool, { fallback: { model: 'animal' } }));
    const latencies: number[] = [];
    // Per prediction: time spent inside the stages (their stageTimes) and the rest (bus transport + queueing).
    const inStages: number[] = [];
    const outsideStages: number[] = [];
    // The reader subscribes before any stage has produced a prediction: the topic must exist (Kafka).
    await bus.ensureTopics([{ name: TOPICS.predictions, partitions: 4 }]);
    const reader = bus.consumer({ groupId: `bench-vision-${count}-${Date.now()}`, topics: [TOPICS.predictions], fromBeginning: false });
    await features.start();
    await inferenceStage.start();
    await reader.run(async (batch) => {
      const now = Date.now();
      for (const m of batch.messages) {
        const msg = decodeMessage(m.value);
        if (msg.type !== 'prediction') continue;
        const total = now - msg.env.capturedAt;
        const staged = Object.values(msg.env.stageTimes ?? {}).reduce((x, y) => x + y, 0);
        latencies.push(total);
        inStages.push(staged);
        outsideStages.push(Math.max(0, total - staged));
      }
    });
    // warm the model before the clock starts
    await pool.server('animal');
    const cpu = cpuCores(busKind === 'kafka' ? brokerPid : undefined);
    const pubs = Array.from({ length: count }, (_, i) => publishVideoSource(bus, `cam-${i}`, fakeCamera(frames, 5, seconds, (i * 200) / count)));
    const summaries = await Promise.all(pubs.map((p) => p.done));
    const published = summaries.reduce((a, s) => a + s.published, 0);
    const deadline = Date.now() + 30_000;
    while (latencies.length < published && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const cpuUsed = cpu();
    await reader.stop();
    await features.stop();
    await inferenceStage.stop();
    await pool.close();
    await scenario.close();
    for (const xs of [latencies, inStages, outsideStages]) xs.sort((a, b) => a - b);
    const captured = count * 5 * seconds;
    streams.push({
      bus: busKind,
      streams: count,
      fps: 5,
      captured,
      published,
      dropped: summaries.reduce((a, s) => a + s.dropped, 0),
      predicted: latencies.length,
      latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies.at(-1) ?? null },
      inStagesMs: { p50: r2(percentile(inStages, 0.5) ?? 0), p99: r2(percentile(inStages, 0.99) ?? 0) },
      cpuCores: cpuUsed,
      busAndQueueMs: { p50: r2(percentile(outsideStages, 0.5) ?? 0), p99: r2(percentile(outsideStages, 0.99) ?? 0) },
      errors: summaries.filter((s) => s.error).map((s) => s.error!.message),
    });
  }
  return {
    suite: 'vision',
    model: { name: 'animal', version: version.manifest.version, input: [settings.height, settings.width, 3], kind: (version.manifest.training as { model?: string }).model },
    buses: benchBuses(),
    machine: { cpus: cpus().length, loadavg: loadavg().map(r2), note: 'shared machine: other jobs run at the same time; per-core rates are single-threaded (sharp concurrency 1, one onnxruntime thread)' },
    decodeResizeFramesPerSecPerCore: decode,
    inferenceFramesPerSecPerCore: inference,
    endToEnd: streams,
  };
}

runIfExecutedDirectly(import.meta.url, run);
