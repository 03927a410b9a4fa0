/**
 * Cost of live monitoring in the inference stages, one core:
 *
 *   npx tsx bench/monitoring.ts          (or: npm run bench -- monitoring)
 *
 * Per item, the stage's model scoring (the shipped model, batches of 64 as the stage's maxBatchSize)
 * is timed against the monitoring work added for the same item (tensorObservation + the sliding-window
 * monitor, which re-evaluates drift every 100 items over the last 300; audio: one window in 4).
 * Cost = monitoring / scoring; for audio also monitoring / (feature extraction + scoring), the
 * per-window CPU of the audio path.
 * Data: 256 audio windows of held-out RAVDESS clips, 64 held-out animal photos (repeated to 256).
 */
import { cpus, loadavg } from 'node:os';
import { extractFile, loadWavFile, parseAudioFeatureSettings, type AudioFeatureSettingsInput } from '../src/features/audio/index.js';
import { decodeResizedRgb, normaliseRgb } from '../src/features/image/preprocess.js';
import { parseImageFeatureSettings } from '../src/features/image/settings.js';
import { loadClassifier } from '../src/inference/classifier-loader.js';
import { resolveModel, type ModelVersion } from '../src/models/model-repository.js';
import { LiveMonitoring } from '../src/monitoring/live.js';
import { tensorObservation } from '../src/monitoring/observations.js';
import { shippedSplits } from '../src/monitoring/shipped.js';
import { runIfExecutedDirectly } from './run-directly.js';

const ITEMS = 256;

async function measure(v: ModelVersion, tensors: Float32Array[], messages: Parameters<typeof tensorObservation>[0][], rounds = 3) {
  const model = await loadClassifier(v);
  const imageSettings = v.manifest.features.kind === 'image' ? parseImageFeatureSettings(v.manifest.features.settings) : undefined;
  let scoreMs = Infinity;
  let monitorMs = Infinity;
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    for (let i = 0; i < tensors.length; i += 64) await model.predict(tensors.slice(i, i + 64));
    scoreMs = Math.min(scoreMs, performance.now() - t);
    const live = new LiveMonitoring();
    t = performance.now();
    for (const m of messages) {
      if (!live.sample('bench', m.type === 'audio.window' ? 'audio' : 'image')) continue;
      const o = tensorObservation(m, imageSettings);
      if (o) live.observe('bench', v, o, { label: v.manifest.labels[0], confidence: 0.7, unknown: false });
    }
    monitorMs = Math.min(monitorMs, performance.now() - t);
  }
  await model.close();
  return { items: tensors.length, scoreMsPerItem: +(scoreMs / tensors.length).toFixed(4), monitorMsPerItem: +(monitorMs / tensors.length).toFixed(4), costPercent: +((100 * monitorMs) / scoreMs).toFixed(2) };
}

export async function run(): Promise<object> {
  const audio = resolveModel('emotion');
  const s = parseAudioFeatureSettings(audio.manifest.features.settings as AudioFeatureSettingsInput);
  const windows = [];
  let extractMs = 0;
  for (const f of shippedSplits(audio).heldOut as string[]) {
    const pcm = loadWavFile(f).pcm;
    const t = performance.now();
    windows.push(...extractFile(pcm, s));
    extractMs += performance.now() - t;
    if (windows.length >= ITEMS) break;
  }
  const extractMsPerWindow = extractMs / windows.length;
  const aw = windows.slice(0, ITEMS);
  const audioResult = await measure(
    audio,
    aw.map((w) => w.features),
    aw.map((w) => ({ type: 'audio.window' as const, meta: { shape: [w.framesPerWindow, w.nFeatures], rmsDb: w.rmsDb, speech: w.speech }, data: w.features })),
  );
  const image = resolveModel('animal');
  const is = parseImageFeatureSettings(image.manifest.features.settings);
  const rgbs: Buffer[] = [];
  for (const f of (shippedSplits(image).heldOut as string[]).slice(0, 64)) rgbs.push((await decodeResizedRgb(f, is)).rgb);
  const all = Array.from({ length: ITEMS }, (_, i) => rgbs[i % rgbs.length]);
  const imageResult = await measure(
    image,
    all.map((r) => normaliseRgb(r, is)),
    all.map((r) => ({ type: 'video.tensor' as const, meta: { shape: [is.height, is.width, 3] }, data: new Uint8Array(r) })),
  );
  const audioPipelineMs = extractMsPerWindow + audioResult.scoreMsPerItem;
  return {
    suite: 'monitoring',
    cpus: cpus().length,
    loadavg: loadavg().map((x) => +x.toFixed(2)),
    audio: {
      ...audioResult,
      // The audio path's per-window CPU is the feature extraction (features:audio) plus scoring (inference:audio).
      extractMsPerWindow: +extractMsPerWindow.toFixed(4),
      costPercentOfPipeline: +((100 * audioResult.monitorMsPerItem) / audioPipelineMs).toFixed(2),
    },
    image: imageResult,
  };
}

runIfExecutedDirectly(import.meta.url, run);
