/**
 * Gaussian kernel density estimate of one numeric sample, as scipy.stats.gaussian_kde in one
 * dimension: kernel standard deviation = sample std (ddof 1) × bandwidth factor, the factor by
 * Scott's rule n^(-1/5), Silverman's rule (3n/4)^(-1/5), or a given number.
 * Hand-written: no maintained npm package matches scipy's gaussian_kde bandwidth rules.
 */
import { std } from './descriptive.js';
import { checkFinite } from './labels.js';

export type KdeBandwidth = 'scott' | 'silverman' | number;

export interface GaussianKde {
  n: number;
  /** How the factor was chosen. */
  method: 'scott' | 'silverman' | 'fixed';
  /** scipy's `kde.factor`. */
  factor: number;
  /** Kernel standard deviation: sqrt of scipy's `kde.covariance`. */
  bandwidth: number;
  /** Density at each point. */
  evaluate(points: ArrayLike<number>): number[];
}

/** scipy's bandwidth factor for n points in one dimension. */
export function kdeBandwidthFactor(n: number, bw: KdeBandwidth): number {
  if (typeof bw === 'number') {
    if (!(bw > 0) || !Number.isFinite(bw)) throw new Error(`bandwidth factor must be a positive number, got ${bw}`);
    return bw;
  }
  if (bw === 'scott') return n ** (-1 / 5);
  if (bw === 'silverman') return ((n * 3) / 4) ** (-1 / 5);
  throw new Error(`unknown bandwidth rule ${JSON.stringify(bw)}; use 'scott', 'silverman' or a number`);
}

export function gaussianKde(values: ArrayLike<number>, bw: KdeBandwidth = 'scott'): GaussianKde {
  checkFinite(values, 'values');
  const n = values.length;
  if (n < 2) throw new Error(`a kernel density estimate needs at least 2 values, got ${n}`);
  const s = std(values, 1);
  if (!(s > 0)) throw new Error('a kernel density estimate of constant data is undefined (zero variance; scipy raises too)');
  const factor = kdeBandwidthFactor(n, bw);
  const h = s * factor;
  const data = Float64Array.from(values);
  const norm = 1 / (n * h * Math.sqrt(2 * Math.PI));
  return {
    n,
    method: typeof bw === 'number' ? 'fixed' : bw,
    factor,
    bandwidth: h,
    evaluate(points) {
      checkFinite(points, 'points');
      return Array.from(points, (x) => {
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const u = (x - data[i]) / h;
          sum += Math.exp(-0.5 * u * u);
        }
        return sum * norm;
      });
    },
  };
}

/** `count` evenly spaced points from `min` to `max` inclusive (numpy.linspace). */
export function linspace(min: number, max: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 2) throw new Error(`linspace needs count >= 2, got ${count}`);
  const step = (max - min) / (count - 1);
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? max : min + i * step));
}
