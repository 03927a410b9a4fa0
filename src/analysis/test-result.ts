/** Shared result shape and helpers of the statistical tests. */
import { normalCdf, normalSf, tCdf, tSf } from './distributions.js';
import { checkFinite } from './labels.js';

/** Direction of the alternative hypothesis (scipy naming). */
export type Alternative = 'two-sided' | 'less' | 'greater';

/** Named effect size, e.g. { name: "Cohen's d", value: 0.42 }. */
export interface EffectSize {
  name: string;
  value: number;
}

/** Result of every statistical test in this toolkit. */
export interface TestResult {
  /** Test name, e.g. "Welch t-test". */
  test: string;
  statistic: number;
  /** Degrees of freedom: one number, a [numerator, denominator] pair for F tests, or null (z, exact tests). */
  df: number | [number, number] | null;
  pValue: number;
  effectSize: EffectSize;
  alternative?: Alternative;
}

/** Validate a numeric sample: finite numbers and at least `min` values. */
export function checkSample(values: readonly number[], name: string, min: number): void {
  if (!Array.isArray(values)) throw new Error(`${name} must be an array of numbers`);
  if (values.length < min) throw new Error(`${name} needs at least ${min} values, got ${values.length}`);
  checkFinite(values, name);
}

/** p-value of a t statistic (scipy convention: less → cdf, greater → sf, two-sided → 2·sf(|t|)). */
export function tPValue(t: number, df: number, alternative: Alternative): number {
  if (alternative === 'less') return tCdf(t, df);
  if (alternative === 'greater') return tSf(t, df);
  return Math.min(1, 2 * tSf(Math.abs(t), df));
}

/** p-value of a standard-normal statistic. */
export function zPValue(z: number, alternative: Alternative): number {
  if (alternative === 'less') return normalCdf(z);
  if (alternative === 'greater') return normalSf(z);
  return Math.min(1, 2 * normalSf(Math.abs(z)));
}

/** Throw unless `alternative` is a known value. */
export function checkAlternative(alternative: string): asserts alternative is Alternative {
  if (alternative !== 'two-sided' && alternative !== 'less' && alternative !== 'greater') {
    throw new Error(`alternative must be 'two-sided', 'less' or 'greater', got ${JSON.stringify(alternative)}`);
  }
}
