import { LUMA_WEIGHTS } from '../features/image/colour-encodings.js';
import type { ImageFeatureSettings } from '../features/image/settings.js';

/**
 * The registry of monitored image statistics: each a small pure function of one summary of the
 * model-size pixels in the model's colour encoding (after the serving resize and encoding,
 * src/features/image), gathered in a single pass. An image observation holds one value per name.
 */
export interface ImagePixelSummary {
  /** Pixels read (every IMAGE_STRIDE-th of every IMAGE_STRIDE-th row). */
  count: number;
  /** Sums of the read pixels' R, G, B in 0..1. */
  sumR: number;
  sumG: number;
  sumB: number;
  /** Sum of the HSV saturation (max - min) / max of the read pixels (0 for black ones). */
  saturationSum: number;
  /** BT.601 luma (0..1) of the read pixels, gridWidth x gridHeight row-major (a view, reused by the next summary). */
  luma: Float32Array;
  gridWidth: number;
  gridHeight: number;
  /** Mean of `luma`. */
  lumaMean: number;
}

export type ImageStatistic = (p: ImagePixelSummary) => number;

/** Std of the luma over the read pixels. */
function lumaStd(p: ImagePixelSummary): number {
  let v = 0;
  for (let i = 0; i < p.count; i++) {
    const d = p.luma[i] - p.lumaMean;
    v += d * d;
  }
  return Math.sqrt(v / p.count);
}

/** Mean absolute 4-neighbour Laplacian of the luma on the read grid (0 when the grid has no interior). */
function meanAbsLaplacian(p: ImagePixelSummary): number {
  const { luma, gridWidth: gw, gridHeight: gh } = p;
  let lap = 0;
  let n = 0;
  for (let y = 1; y < gh - 1; y++) {
    for (let x = 1; x < gw - 1; x++) {
      const i = y * gw + x;
      lap += Math.abs(4 * luma[i] - luma[i - 1] - luma[i + 1] - luma[i - gw] - luma[i + gw]);
      n++;
    }
  }
  return n ? lap / n : 0;
}

export const imageStatistics = {
  /** Mean luma. */
  brightness: (p) => p.lumaMean,
  /** Luma std. */
  contrast: lumaStd,
  mean_r: (p) => p.sumR / p.count,
  mean_g: (p) => p.sumG / p.count,
  mean_b: (p) => p.sumB / p.count,
  /** Mean HSV saturation. */
  saturation: (p) => p.saturationSum / p.count,
  /** Mean absolute Laplacian of luma. */
  sharpness: meanAbsLaplacian,
} as const satisfies Record<string, ImageStatistic>;

export type ImageStatisticName = keyof typeof imageStatistics;

export const IMAGE_STATISTIC_NAMES = Object.keys(imageStatistics) as ImageStatisticName[];

/** (name, function) pairs of `names`, in order; throws one message naming every unknown name and the known ones. */
export function imageStatisticFunctions(names: readonly string[]): [ImageStatisticName, ImageStatistic][] {
  const unknown = names.filter((n) => !Object.prototype.hasOwnProperty.call(imageStatistics, n));
  if (unknown.length > 0) {
    throw new Error(`unknown image statistic${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => JSON.stringify(n)).join(', ')} (known: ${IMAGE_STATISTIC_NAMES.join(', ')})`);
  }
  return names.map((n) => [n as ImageStatisticName, imageStatistics[n as ImageStatisticName]]);
}

/**
 * Every second pixel of every second row is read (a 4x cheaper pass; the reference is computed the
 * same way), and sharpness is the Laplacian on that grid.
 */
export const IMAGE_STRIDE = 2;
let lumaScratch = new Float32Array(0);

/**
 * The one pass over an image the statistics share. rgb: bytes 0..255 (HWC), or the model's
 * normalised Float32 tensor (undone with the settings' scale, mean and std).
 */
export function summarisePixels(rgb: Uint8Array | Float32Array, width: number, height: number, settings?: ImageFeatureSettings): ImagePixelSummary {
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
  const [wr, wg, wb] = LUMA_WEIGHTS;
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
      const l = wr * R + wg * G + wb * B;
      luma[j++] = l;
      lm += l;
    }
  }
  return { count: n, sumR: r, sumG: g, sumB: bl, saturationSum: sat, luma, gridWidth: gw, gridHeight: gh, lumaMean: lm / n };
}
