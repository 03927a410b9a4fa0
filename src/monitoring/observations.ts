import type { EnrichedCourse } from '../features/course/enrich.js';
import type { ImageFeatureSettings } from '../features/image/settings.js';
import { IMAGE_STATISTIC_NAMES, imageStatisticFunctions, summarisePixels } from './image-statistics.js';
import type { ObservationBatch } from './reference.js';

/**
 * The monitored features of one observation, computed from what the serving pipeline already has:
 * - audio: one feature window of the shared extractor (src/features/audio): its loudness (rmsDb,
 *   dBFS), whether it holds speech, and the temporal spread (std over every 4th frame) of the
 *   model's log-mel bands averaged in 8 groups of adjacent bands (the per-window CMVN removes band
 *   means, so the spread is what is left of the band statistics; added noise flattens it, a gain
 *   moves rmsDb);
 * - image: the model-size pixels after the serving resize and colour encoding
 *   (src/features/image/preprocess.ts, colour-encodings.ts), one value per statistic of the registry in
 *   image-statistics.ts: brightness (mean luma), contrast (luma std), mean R, G, B, saturation and
 *   sharpness (mean absolute Laplacian of luma);
 * - course: every numeric and categorical field of the validated record.
 */
export type Observation = { numeric: Record<string, number>; categorical: Record<string, string> };

export const AUDIO_BAND_GROUPS = 8;

const BAND_SPREAD_NAMES = Array.from({ length: AUDIO_BAND_GROUPS }, (_, g) => `band${g}_spread`);
/** Every AUDIO_FRAME_STRIDE-th frame is read (10 ms hop: 40 ms apart, 25 frames of a 1 s window); the reference is computed the same way. */
export const AUDIO_FRAME_STRIDE = 4;
const groupSum = new Float64Array(AUDIO_BAND_GROUPS);
const groupSquares = new Float64Array(AUDIO_BAND_GROUPS);

/**
 * Band spreads in one pass over the window: per read frame, the mean of each group of adjacent
 * log-mel bands; per group, the std over frames of that mean. Sums live in two small arrays reused
 * across calls, so a window costs one read of a quarter of its values and no allocation but the result.
 */
export function audioObservation(w: { features: Float32Array; nFeatures: number; validFrames: number; rmsDb: number; speech: boolean }): Observation {
  const { features, nFeatures } = w;
  const validFrames = Math.max(1, w.validFrames);
  const perGroup = Math.max(1, Math.floor(nFeatures / AUDIO_BAND_GROUPS));
  const groups = Math.min(AUDIO_BAND_GROUPS, Math.ceil(nFeatures / perGroup));
  groupSum.fill(0);
  groupSquares.fill(0);
  let frames = 0;
  for (let f = 0; f < validFrames; f += AUDIO_FRAME_STRIDE, frames++) {
    const off = f * nFeatures;
    for (let g = 0; g < groups; g++) {
      const lo = off + g * perGroup;
      const hi = Math.min(off + nFeatures, lo + perGroup);
      let m = 0;
      for (let i = lo; i < hi; i++) m += features[i];
      m /= hi - lo;
      groupSum[g] += m;
      groupSquares[g] += m * m;
    }
  }
  const numeric: Record<string, number> = { rms_db: w.rmsDb };
  for (let g = 0; g < AUDIO_BAND_GROUPS; g++) {
    const m = groupSum[g] / frames;
    numeric[BAND_SPREAD_NAMES[g]] = g < groups ? Math.sqrt(Math.max(0, groupSquares[g] / frames - m * m)) : 0;
  }
  return { numeric, categorical: { speech: w.speech ? 'yes' : 'no' } };
}

const DEFAULT_IMAGE_STATISTICS = imageStatisticFunctions(IMAGE_STATISTIC_NAMES);

/**
 * One value per statistic of the registry (image-statistics.ts; default every one), from one pass over
 * the pixels: rgb bytes 0..255 (HWC) in the model's colour encoding, or the model's normalised Float32
 * tensor (undone with the settings). An unknown statistic name is refused with the known ones.
 */
export function imageObservation(
  rgb: Uint8Array | Float32Array,
  width: number,
  height: number,
  settings?: ImageFeatureSettings,
  statistics: readonly string[] = IMAGE_STATISTIC_NAMES,
): Observation {
  const selected = statistics === IMAGE_STATISTIC_NAMES ? DEFAULT_IMAGE_STATISTICS : imageStatisticFunctions(statistics);
  const summary = summarisePixels(rgb, width, height, settings);
  const numeric: Record<string, number> = {};
  for (const [name, statistic] of selected) numeric[name] = statistic(summary);
  return { numeric, categorical: {} };
}

export function courseObservation(c: EnrichedCourse): Observation {
  const numeric: Record<string, number> = {
    price: c.price,
    num_lectures: c.numLectures,
    content_duration: c.contentDurationHours,
    published_year: c.publishedYear,
    age_days: c.ageDays,
    title_words: c.titleWordCount,
  };
  if (c.numSubscribers !== undefined) numeric.num_subscribers = c.numSubscribers;
  if (c.numReviews !== undefined) numeric.num_reviews = c.numReviews;
  return { numeric, categorical: { level: c.level, is_paid: c.isPaid ? 'true' : 'false' } };
}

/** Column-wise batch of observations (a feature missing from an observation is left out of its column). */
export function toBatch(observations: readonly Observation[]): ObservationBatch {
  const numeric: Record<string, number[]> = {};
  const categorical: Record<string, string[]> = {};
  for (const o of observations) {
    for (const [k, v] of Object.entries(o.numeric)) (numeric[k] ??= []).push(v);
    for (const [k, v] of Object.entries(o.categorical)) (categorical[k] ??= []).push(v);
  }
  return { numeric, categorical };
}

/** The observation of a tensor message at the inference stage (audio window or image tensor); undefined when it lacks what is needed. */
export function tensorObservation(
  m: { type: 'audio.window'; meta: { shape: number[]; rmsDb?: number; speech: boolean }; data: Float32Array } | { type: 'video.tensor'; meta: { shape: number[] }; data: Float32Array | Uint8Array },
  imageSettings?: ImageFeatureSettings,
): Observation | undefined {
  const shape = m.meta.shape;
  if (m.type === 'audio.window') {
    if (m.meta.rmsDb === undefined || shape.length < 2) return undefined;
    const nFeatures = shape[shape.length - 1];
    const frames = shape[shape.length - 2];
    // Zero rows at the end are the padding of a short final window.
    let valid = frames;
    while (valid > 1 && isZeroRow(m.data, (valid - 1) * nFeatures, nFeatures)) valid--;
    return audioObservation({ features: m.data, nFeatures, validFrames: valid, rmsDb: m.meta.rmsDb, speech: m.meta.speech });
  }
  if (shape.length !== 3 || shape[2] !== 3) return undefined;
  return imageObservation(m.data, shape[1], shape[0], imageSettings);
}

function isZeroRow(d: Float32Array, off: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (d[off + i] !== 0) return false;
  return true;
}
