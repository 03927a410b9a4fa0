/**
 * Outlier rules for one numeric sample: Tukey's IQR fences (quartiles with numpy's / pandas' default
 * linear interpolation, as `quantile`) and the z-score rule (scipy.stats.zscore, ddof 0 by default).
 * Both return the indices of the flagged values in input order.
 */
import { mean, quantiles, std } from './descriptive.js';
import { checkFinite } from './labels.js';

/** Tukey fences: values below `lower` or above `upper` are outliers. */
export interface IqrOutliers {
  rule: 'iqr';
  /** Fence multiplier (1.5 is Tukey's "outlier", 3 his "far out"). */
  k: number;
  q1: number;
  q3: number;
  iqr: number;
  lower: number;
  upper: number;
  /** Smallest and largest values inside the fences (the box plot's whisker ends). */
  whiskers: [number, number];
  indices: number[];
}

/** Values x with x < Q1 - k·IQR or x > Q3 + k·IQR (strict, as pandas users write it). */
export function iqrOutliers(values: ArrayLike<number>, k = 1.5): IqrOutliers {
  if (!(k >= 0)) throw new Error(`IQR multiplier k must be >= 0, got ${k}`);
  const [q1, q3] = quantiles(values, [0.25, 0.75]);
  const iqr = q3 - q1;
  const lower = q1 - k * iqr;
  const upper = q3 + k * iqr;
  const indices: number[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lower || v > upper) indices.push(i);
    else {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return { rule: 'iqr', k, q1, q3, iqr, lower, upper, whiskers: [lo, hi], indices };
}

/** z-scores (x - mean) / std with `ddof` (default 0, scipy.stats.zscore); NaN for constant data (as scipy). */
export function zScores(values: ArrayLike<number>, ddof = 0): number[] {
  checkFinite(values, 'values');
  const m = mean(values);
  const s = std(values, ddof);
  return Array.from(values, (v) => (s > 0 ? (v - m) / s : Number.NaN));
}

export interface ZScoreOutliers {
  rule: 'z';
  threshold: number;
  ddof: number;
  mean: number;
  std: number;
  /** Values with |z| > threshold sit outside [lower, upper]. */
  lower: number;
  upper: number;
  /** z-score of every value (NaN when the data are constant). */
  z: number[];
  indices: number[];
}

/** Values with |z| > `threshold` (default 3). Constant data have no outliers (their z is NaN). */
export function zScoreOutliers(values: ArrayLike<number>, options: { threshold?: number; ddof?: number } = {}): ZScoreOutliers {
  const threshold = options.threshold ?? 3;
  const ddof = options.ddof ?? 0;
  if (!(threshold > 0)) throw new Error(`z threshold must be > 0, got ${threshold}`);
  const z = zScores(values, ddof);
  const m = mean(values);
  const s = std(values, ddof);
  const indices: number[] = [];
  z.forEach((v, i) => Math.abs(v) > threshold && indices.push(i));
  return { rule: 'z', threshold, ddof, mean: m, std: s, lower: m - threshold * s, upper: m + threshold * s, z, indices };
}
