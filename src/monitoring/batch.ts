import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { extractFile, parseAudioFeatureSettings, loadWavFile, type AudioFeatureSettingsInput } from '../features/audio/index.js';
import { encodeColour } from '../features/image/colour-encodings.js';
import { decodeResizedRgb, normaliseRgb } from '../features/image/preprocess.js';
import { parseImageFeatureSettings } from '../features/image/settings.js';
import type { EnrichedCourse } from '../features/course/enrich.js';
import { loadClassifier } from '../inference/classifier-loader.js';
import { loadCoursePredictor } from '../inference/course/course-predictor.js';
import type { ModelVersion } from '../models/model-repository.js';
import { createEmbeddingSession, embedAll, embeddingFeatures, fitEmbeddingSummary, type EmbeddingSummary } from './embedding.js';
import { audioObservation, courseObservation, imageObservation, toBatch, type Observation } from './observations.js';
import type { ObservationBatch, PredictionBatch } from './reference.js';

/**
 * Observations and the model's answers for a batch of inputs, computed with the serving feature code
 * and the served model: the shared input of the reference builder (training split) and of
 * `streamlens monitor` (any batch). `transform*` hooks shift the inputs (tests, benchmarks).
 */
export interface MonitoredBatch {
  items: number;
  observations: ObservationBatch;
  predictions?: PredictionBatch;
  /** Images: the backbone-embedding summary the embedding features were computed with. */
  embedding?: EmbeddingSummary;
}

export function listFiles(path: string, pattern: RegExp): string[] {
  const st = statSync(path);
  if (st.isFile()) return [path];
  const out: string[] = [];
  for (const name of readdirSync(path).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
    if (name.startsWith('.')) continue;
    const p = join(path, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p, pattern));
    else if (pattern.test(name)) out.push(p);
  }
  return out;
}

const BATCH = 64;

async function scoreAll(v: ModelVersion, inputs: Float32Array[]): Promise<{ labels: string[]; confidences: number[]; unknown: boolean[] }> {
  const model = await loadClassifier(v);
  const labels: string[] = [];
  const confidences: number[] = [];
  const unknown: boolean[] = [];
  const threshold = v.manifest.unknownThreshold;
  try {
    for (let i = 0; i < inputs.length; i += BATCH) {
      for (const p of await model.predict(inputs.slice(i, i + BATCH))) {
        let best = 0;
        for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
        labels.push(v.manifest.labels[best]);
        confidences.push(p[best]);
        unknown.push(threshold !== undefined && p[best] < threshold);
      }
    }
  } finally {
    await model.close();
  }
  return { labels, confidences, unknown };
}

/** Audio: every feature window of every clip (16-bit PCM WAV at the model's sample rate, or whatever `decode` reads); the model scores speech windows. */
export async function audioBatch(
  v: ModelVersion,
  files: readonly string[],
  o: { transformPcm?: (pcm: Int16Array, file: string) => Int16Array; predict?: boolean; decode?: (file: string) => Promise<Int16Array> } = {},
): Promise<MonitoredBatch> {
  if (v.manifest.features.kind !== 'audio') throw new Error(`model ${v.manifest.name} takes ${v.manifest.features.kind} input, not audio`);
  const settings = parseAudioFeatureSettings(v.manifest.features.settings as AudioFeatureSettingsInput);
  const obs: Observation[] = [];
  const speechWindows: Float32Array[] = [];
  for (const f of files) {
    let raw: Int16Array;
    if (o.decode) raw = await o.decode(f);
    else {
      const wav = loadWavFile(f);
      if (wav.channels !== 1 || wav.sampleRate !== settings.sampleRate) {
        throw new Error(`${f}: needs mono ${settings.sampleRate} Hz PCM, got ${wav.channels} channel(s) at ${wav.sampleRate} Hz (convert it with ffmpeg -ac 1 -ar ${settings.sampleRate})`);
      }
      raw = wav.pcm;
    }
    const pcm = o.transformPcm ? o.transformPcm(raw, f) : raw;
    for (const w of extractFile(pcm, settings)) {
      obs.push(audioObservation(w));
      if (w.speech) speechWindows.push(w.features);
    }
  }
  return { items: files.length, observations: toBatch(obs), predictions: o.predict === false ? undefined : await scoreAll(v, speechWindows) };
}

/**
 * Images: resized and colour-encoded exactly as served (a `transformRgb` shift acts on the decoded
 * sRGB, as a shift of the camera would, before the model's colour encoding), then scored by the model. `embedding`: also the backbone-
 * embedding features, with a version's summary, or with one fitted here on these photos and their
 * true labels (`{ fit: labels }`, the reference builder), returned as `embedding`.
 */
export async function imageBatch(
  v: ModelVersion,
  files: readonly string[],
  o: { transformRgb?: (rgb: Buffer, width: number, height: number) => Buffer; predict?: boolean; embedding?: EmbeddingSummary | { fit: readonly string[] } } = {},
): Promise<MonitoredBatch> {
  if (v.manifest.features.kind !== 'image') throw new Error(`model ${v.manifest.name} takes ${v.manifest.features.kind} input, not images`);
  const s = parseImageFeatureSettings(v.manifest.features.settings);
  const decoded = { ...s, colour: 'rgb' as const };
  const obs: Observation[] = [];
  const tensors: Float32Array[] = [];
  for (const f of files) {
    let { rgb } = await decodeResizedRgb(f, decoded);
    if (o.transformRgb) rgb = o.transformRgb(rgb, s.width, s.height);
    rgb = encodeColour(rgb, s.colour);
    obs.push(imageObservation(rgb, s.width, s.height));
    if (o.predict !== false || o.embedding) tensors.push(normaliseRgb(rgb, s));
  }
  let embedding: EmbeddingSummary | undefined;
  if (o.embedding) {
    const { session, output, graph } = await createEmbeddingSession(v);
    try {
      const embeddings = await embedAll(session, v.manifest.inputs[0].shape.slice(1), tensors);
      embedding = 'fit' in o.embedding ? fitEmbeddingSummary(graph, output, embeddings, o.embedding.fit) : o.embedding;
      embeddings.forEach((e, i) => Object.assign(obs[i].numeric, embeddingFeatures(embedding!, e)));
    } finally {
      await session.dispose();
    }
  }
  return { items: files.length, observations: toBatch(obs), predictions: o.predict === false ? undefined : await scoreAll(v, tensors), embedding };
}

/** Course records: the subject model's answer is the monitored prediction. */
export function courseBatch(v: ModelVersion, records: readonly EnrichedCourse[], o: { predict?: boolean } = {}): MonitoredBatch {
  const obs = records.map(courseObservation);
  let predictions: PredictionBatch | undefined;
  if (o.predict !== false) {
    const predictor = loadCoursePredictor(v.dir);
    const out = predictor.predict([...records], { explain: false });
    predictions = {
      labels: out.map((p) => p.subject.label),
      confidences: out.map((p) => Math.max(...Object.values(p.subject.scores))),
      unknown: out.map(() => false),
    };
  }
  return { items: records.length, observations: toBatch(obs), predictions };
}
