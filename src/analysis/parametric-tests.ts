/**
 * Parametric tests matching scipy.stats / statsmodels: Student, Welch and paired t-tests (scipy
 * ttest_1samp / ttest_ind / ttest_rel), one-way ANOVA (scipy f_oneway) and the two-sided F-test for
 * equal variances run on @stdlib (stats-ttest, stats-ttest2, stats-anova1, stats-vartest); this file
 * validates input, adds effect sizes and keeps one result shape.
 * Hand-written: the z-tests with an estimated SD (statsmodels ztest), as no registry package here has them
 * (@stdlib/stats-ztest is not served; its ztest needs a known sigma anyway).
 *
 * Zero variance: where scipy would divide by zero and return inf/NaN with a warning, these functions
 * throw an Error naming the constant input instead.
 */
import anova1 from '@stdlib/stats-anova1';
import ttest from '@stdlib/stats-ttest';
import ttest2 from '@stdlib/stats-ttest2';
import vartest from '@stdlib/stats-vartest';
import { mean, variance } from './descriptive.js';
import { checkAlternative, checkSample, zPValue, type Alternative, type TestResult } from './test-result.js';

function nonZero(value: number, what: string): number {
  if (!(value > 0)) throw new Error(`${what} is zero (constant data); the test statistic is undefined`);
  return value;
}

/** Pooled sample standard deviation of two samples (ddof=1). */
export function pooledStd(x: readonly number[], y: readonly number[]): number {
  const n1 = x.length;
  const n2 = y.length;
  return Math.sqrt(((n1 - 1) * variance(x) + (n2 - 1) * variance(y)) / (n1 + n2 - 2));
}

/** Cohen's d of two independent samples: (mean x − mean y) / pooled SD. */
export function cohensD(x: readonly number[], y: readonly number[]): number {
  return (mean(x) - mean(y)) / nonZero(pooledStd(x, y), 'pooled standard deviation');
}

/**
 * One-sample z-test of mean(x) = mu (statsmodels ztest with ddof=1). Pass `sigma` for a known population
 * standard deviation instead of the sample SD. Effect size: Cohen's d = (mean − mu) / SD.
 */
export function zTestOneSample(
  x: readonly number[],
  options: { mu?: number; sigma?: number; alternative?: Alternative } = {},
): TestResult {
  checkSample(x, 'x', 2);
  const alternative = options.alternative ?? 'two-sided';
  checkAlternative(alternative);
  const mu = options.mu ?? 0;
  const sd = options.sigma ?? Math.sqrt(variance(x));
  nonZero(sd, 'standard deviation of x');
  const z = (mean(x) - mu) / (sd / Math.sqrt(x.length));
  return { test: 'one-sample z-test', statistic: z, df: null, pValue: zPValue(z, alternative), effectSize: { name: "Cohen's d", value: (mean(x) - mu) / sd }, alternative };
}

/**
 * Two-sample z-test of mean(x) − mean(y) = diff (statsmodels ztest, usevar 'pooled' (default) or 'unequal').
 * Effect size: Cohen's d with pooled SD.
 */
export function zTestTwoSample(
  x: readonly number[],
  y: readonly number[],
  options: { diff?: number; usevar?: 'pooled' | 'unequal'; alternative?: Alternative } = {},
): TestResult {
  checkSample(x, 'x', 2);
  checkSample(y, 'y', 2);
  const alternative = options.alternative ?? 'two-sided';
  checkAlternative(alternative);
  const n1 = x.length;
  const n2 = y.length;
  const se =
    (options.usevar ?? 'pooled') === 'pooled'
      ? pooledStd(x, y) * Math.sqrt(1 / n1 + 1 / n2)
      : Math.sqrt(variance(x) / n1 + variance(y) / n2);
  nonZero(se, 'standard error of the difference');
  const z = (mean(x) - mean(y) - (options.diff ?? 0)) / se;
  return { test: 'two-sample z-test', statistic: z, df: null, pValue: zPValue(z, alternative), effectSize: { name: "Cohen's d", value: cohensD(x, y) }, alternative };
}

/** One-sample Student t-test of mean(x) = mu (scipy ttest_1samp, on @stdlib/stats-ttest). Effect size: Cohen's d. */
export function tTestOneSample(x: readonly number[], options: { mu?: number; alternative?: Alternative } = {}): TestResult {
  checkSample(x, 'x', 2);
  const alternative = options.alternative ?? 'two-sided';
  checkAlternative(alternative);
  const mu = options.mu ?? 0;
  const sd = nonZero(Math.sqrt(variance(x)), 'standard deviation of x');
  const r = ttest(x as number[], { mu, alternative });
  return { test: 'one-sample t-test', statistic: r.statistic, df: r.df, pValue: r.pValue, effectSize: { name: "Cohen's d", value: (mean(x) - mu) / sd }, alternative };
}

/**
 * Independent two-sample t-test (scipy ttest_ind, on @stdlib/stats-ttest2): Student (equalVariances
 * true, default) or Welch (false, Welch–Satterthwaite df). Effect size: Cohen's d with pooled SD.
 */
export function tTestIndependent(
  x: readonly number[],
  y: readonly number[],
  options: { equalVariances?: boolean; alternative?: Alternative } = {},
): TestResult {
  checkSample(x, 'x', 2);
  checkSample(y, 'y', 2);
  const alternative = options.alternative ?? 'two-sided';
  checkAlternative(alternative);
  const equal = options.equalVariances ?? true;
  if (equal) nonZero(pooledStd(x, y), 'pooled standard deviation');
  else nonZero(variance(x) / x.length + variance(y) / y.length, 'variance of both samples');
  const r = ttest2(x as number[], y as number[], { alternative, variance: equal ? 'equal' : 'unequal' });
  return { test: equal ? 'Student t-test' : 'Welch t-test', statistic: r.statistic, df: r.df, pValue: r.pValue, effectSize: { name: "Cohen's d", value: cohensD(x, y) }, alternative };
}

/** Paired t-test on x[i] − y[i] (scipy ttest_rel). Effect size: Cohen's d_z = mean(diff) / SD(diff). */
export function tTestPaired(x: readonly number[], y: readonly number[], options: { alternative?: Alternative } = {}): TestResult {
  checkSample(x, 'x', 2);
  checkSample(y, 'y', 2);
  if (x.length !== y.length) throw new Error(`paired t-test needs equal lengths, got ${x.length} and ${y.length}`);
  const d = x.map((v, i) => v - y[i]);
  const r = tTestOneSample(d, { alternative: options.alternative });
  return { ...r, test: 'paired t-test', effectSize: { name: "Cohen's d_z", value: r.effectSize.value } };
}

/** One-way ANOVA across groups (scipy f_oneway, on @stdlib/stats-anova1). Effect size: eta squared = SS_between / SS_total. */
export function oneWayAnova(groups: readonly (readonly number[])[]): TestResult {
  if (groups.length < 2) throw new Error(`ANOVA needs at least 2 groups, got ${groups.length}`);
  groups.forEach((g, i) => checkSample(g as number[], `groups[${i}]`, 1));
  const values = groups.flat();
  const n = values.length;
  const k = groups.length;
  if (n <= k) throw new Error(`ANOVA needs more observations (${n}) than groups (${k})`);
  let ssWithin = 0;
  for (const g of groups) {
    const m = mean(g);
    for (const v of g) ssWithin += (v - m) ** 2;
  }
  nonZero(ssWithin, 'within-group variance');
  const factor = groups.flatMap((g, i) => g.map(() => `g${i}`));
  const r = anova1(values, factor);
  const ssBetween = r.treatment.ss;
  return { test: 'one-way ANOVA', statistic: r.statistic, df: [r.treatment.df, r.error.df], pValue: r.pValue, effectSize: { name: 'eta squared', value: ssBetween / (ssBetween + r.error.ss) } };
}

/**
 * Two-sided F-test of equal variances (on @stdlib/stats-vartest): F = var(x) / var(y) with
 * (n1−1, n2−1) df, p = 2·min(P(F ≤ f), P(F ≥ f)) capped at 1. Effect size: the variance ratio.
 */
export function fTestEqualVariances(x: readonly number[], y: readonly number[]): TestResult {
  checkSample(x, 'x', 2);
  checkSample(y, 'y', 2);
  nonZero(variance(y), 'variance of y');
  nonZero(variance(x), 'variance of x');
  const r = vartest(x as number[], y as number[], { alternative: 'two-sided' });
  return { test: 'F-test for equal variances', statistic: r.statistic, df: [r.dfX, r.dfY], pValue: Math.min(1, r.pValue), effectSize: { name: 'variance ratio', value: r.statistic }, alternative: 'two-sided' };
}
