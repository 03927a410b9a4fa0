import type { EnrichedCourse } from '../features/course/enrich.js';
import type { ImageFeatureSettings } from '../features/image/settings.js';
import type { ObservationBatch } from './reference.js';

/**
 * The monitored features of one observation, computed from what the serving pipeline already has:
 * - audio: one feature window of the shared extractor (src/features/audio): its loudness (rmsDb,
 *   dBFS), whether it holds speech, and the temporal spread (std over every 4th frame) of the
 *   model's log-mel bands averaged in 8 groups of adjacent bands (the per-window CMVN removes band
 *   means, so the spread is what is left of the band statistics; added noise flattens it, a gain
 *   moves rmsDb);
 * - image: the model-size RGB after the serving resize (src/features/image/preprocess.ts):
 *   brightness (mean luma), contrast (luma std), mean R, G, B, saturation and sharpness (mean
 *   absolute Laplacian of luma);
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

/**
 * rgb: bytes 0..255 (HWC), or the model's normalised Float32 tensor (undone with the settings).
 * Every second pixel of every second row is read (a 4x cheaper pass; the reference is computed the
 * same way), and sharpness is the Laplacian on that grid.
 */
export const IMAGE_STRIDE = 2;
let lumaScratch = new Float32Array(0);
export function imageObservation(rgb: Uint8Array | Float32Array, width: number, height: number, settings?: ImageFeatureSettings): Observation {
  const k = IMAGE_STRIDE;
  const gw = Math.floor((width - 1) / k) + 1;
  const gh = Math.floor((height - 1) / k) + 1;
  const n = gw * gh;
  // Per channel: value = a_c * raw + b_c gives 0..1.
  let a0 = 1 / 255;
  let a1 = a0;
  let a2 = a0;
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  if (!(rgb instanceof Uint8Array)) {
    const px = (settings?.scale ?? 1 / 255) * 255;
    const std = settings?.std ?? [1, 1, 1];
    const mean = settings?.mean ?? [0, 0, 0];
    [a0, a1, a2] = [std[0] / px, std[1] / px, std[2] / px];
    [b0, b1, b2] = [mean[0] / px, mean[1] / px, mean[2] / px];
  }
  if (lumaScratch.length < n) lumaScratch = new Float32Array(n);
  const luma = lumaScratch;
  let r = 0;
  let g = 0;
  let bl = 0;
  let sat = 0;
  let lm = 0;
  let j = 0;
  for (let y = 0; y < height; y += k) {
    for (let x = 0; x < width; x += k) {
      const i = 3 * (y * width + x);
      const R = a0 * rgb[i] + b0;
      const G = a1 * rgb[i + 1] + b1;
      const B = a2 * rgb[i + 2] + b2;
      r += R;
      g += G;
      bl += B;
      const mx = R > G ? (R > B ? R : B) : G > B ? G : B;
      const mn = R < G ? (R < B ? R : B) : G < B ? G : B;
      if (mx > 0) sat += (mx - mn) / mx;
      const l = 0.299 * R + 0.587 * G + 0.114 * B;
      luma[j++] = l;
      lm += l;
    }
  }
  lm /= n;
  let lv = 0;
  for (let i = 0; i < n; i++) {
    const d = luma[i] - lm;
    lv += d * d;
  }
  let lap = 0;
  let lapN = 0;
  for (let y = 1; y < gh - 1; y++) {
    for (let x = 1; x < gw - 1; x++) {
      const i = y * gw + x;
      lap += Math.abs(4 * luma[i] - luma[i - 1] - luma[i + 1] - luma[i - gw] - luma[i + gw]);
      lapN++;
    }
  }
  return {
    numeric: {
      brightness: lm,
      contrast: Math.sqrt(lv / n),
      mean_r: r / n,
      mean_g: g / n,
      mean_b: bl / n,
      saturation: sat / n,
      sharpness: lapN ? lap / lapN : 0,
    },
    categorical: {},
  };
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
