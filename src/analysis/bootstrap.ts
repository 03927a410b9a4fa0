/** Percentile bootstrap confidence intervals for classification metrics, with a seeded PRNG. */
import { accuracy, classificationReport } from './classification.js';
import { quantiles } from './descriptive.js';
import { checkLabels, checkSameLength, uniqueLabels, type Label } from './labels.js';
import { SeededRandom } from '../core/random.js';

/** A point estimate with its percentile bootstrap interval. */
export interface BootstrapInterval {
  estimate: number;
  lower: number;
  upper: number;
  /** Confidence level, e.g. 0.95. */
  confidence: number;
  resamples: number;
  seed: number;
}

/** Options of the bootstrap helpers. */
export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  resamples?: number;
  /** Confidence level in (0, 1) (default 0.95). */
  confidence?: number;
  /** PRNG seed (default 0). */
  seed?: number;
}

/**
 * Percentile bootstrap CI of `metric(yTrue, yPred)`: resample sample indices with replacement,
 * recompute, and take the (1−c)/2 and (1+c)/2 quantiles (numpy linear interpolation).
 */
export function bootstrapMetric(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  metric: (yTrue: Label[], yPred: Label[]) => number,
  options: BootstrapOptions = {},
): BootstrapInterval {
  checkLabels(yTrue, 'yTrue');
  checkLabels(yPred, 'yPred');
  checkSameLength(yTrue, yPred, 'yTrue', 'yPred');
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`resamples must be a positive integer, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new Error(`confidence must be in (0, 1), got ${confidence}`);
  const rng = new SeededRandom(seed);
  const n = yTrue.length;
  const values = new Float64Array(resamples);
  const t: Label[] = new Array(n);
  const p: Label[] = new Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      const k = rng.int(n);
      t[i] = yTrue[k];
      p[i] = yPred[k];
    }
    values[r] = metric(t, p);
  }
  const [lower, upper] = quantiles(values, [(1 - confidence) / 2, (1 + confidence) / 2]);
  return { estimate: metric([...yTrue], [...yPred]), lower, upper, confidence, resamples, seed };
}

/** Bootstrap CI of accuracy. */
export function bootstrapAccuracy(yTrue: readonly Label[], yPred: readonly Label[], options: BootstrapOptions = {}): BootstrapInterval {
  return bootstrapMetric(yTrue, yPred, accuracy, options);
}

/**
 * Bootstrap CI of macro F1. Every resample averages over the labels of the full data (so a class missing
 * from a resample counts as F1 0 rather than disappearing from the average).
 */
export function bootstrapMacroF1(yTrue: readonly Label[], yPred: readonly Label[], options: BootstrapOptions = {}): BootstrapInterval {
  const labels = uniqueLabels(yTrue, yPred);
  return bootstrapMetric(yTrue, yPred, (t, p) => classificationReport(t, p, labels).macro.f1, options);
}
