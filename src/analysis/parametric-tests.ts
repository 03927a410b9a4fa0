/**
 * Parametric tests matching scipy.stats / statsmodels: z-tests (statsmodels ztest), Student, Welch and
 * paired t-tests (scipy ttest_1samp / ttest_ind / ttest_rel), one-way ANOVA (scipy f_oneway) and the
 * two-sided F-test for equal variances.
 *
 * Zero variance: where scipy would divide by zero and return inf/NaN with a warning, these functions
 * throw an Error naming the constant input instead.
 */
import { fCdf, fSf } from './distributions.js';
import { mean, variance } from './descriptive.js';
import { checkAlternative, checkSample, tPValue, zPValue, type Alternative, type TestResult } from './test-result.js';

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

/** One-sample Student t-test of mean(x) = mu (scipy ttest_1samp). Effect size: Cohen's d. */
export function tTestOneSample(x: readonly number[], options: { mu?: number; alternative?: Alternative } = {}): TestResult {
  checkSample(x, 'x', 2);
  const alternative = options.alternative ?? 'two-sided';
  checkAlternative(alternative);
  const mu = options.mu ?? 0;
  const sd = nonZero(Math.sqrt(variance(x)), 'standard deviation of x');
  const t = (mean(x) - mu) / (sd / Math.sqrt(x.length));
  const df = x.length - 1;
  return { test: 'one-sample t-test', statistic: t, df, pValue: tPValue(t, df, alternative), effectSize: { name: "Cohen's d", value: (mean(x) - mu) / sd }, alternative };
}

/**
 * Independent two-sample t-test (scipy ttest_ind): Student (equalVariances true, default) or Welch
 * (false, Welch–Satterthwaite df). Effect size: Cohen's d with pooled SD.
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
  const n1 = x.length;
  const n2 = y.length;
  const v1 = variance(x) / n1;
  const v2 = variance(y) / n2;
  const diff = mean(x) - mean(y);
  let t: number;
  let df: number;
  let test: string;
  if (options.equalVariances ?? true) {
    df = n1 + n2 - 2;
    t = diff / nonZero(pooledStd(x, y) * Math.sqrt(1 / n1 + 1 / n2), 'pooled standard deviation');
    test = 'Student t-test';
  } else {
    const se2 = nonZero(v1 + v2, 'variance of both samples');
    t = diff / Math.sqrt(se2);
    df = (se2 * se2) / ((v1 * v1) / (n1 - 1) + (v2 * v2) / (n2 - 1));
    test = 'Welch t-test';
  }
  return { test, statistic: t, df, pValue: tPValue(t, df, alternative), effectSize: { name: "Cohen's d", value: cohensD(x, y) }, alternative };
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

/** One-way ANOVA across groups (scipy f_oneway). Effect size: eta squared = SS_between / SS_total. */
export function oneWayAnova(groups: readonly (readonly number[])[]): TestResult {
  if (groups.length < 2) throw new Error(`ANOVA needs at least 2 groups, got ${groups.length}`);
  groups.forEach((g, i) => checkSample(g as number[], `groups[${i}]`, 1));
  const all = groups.flat();
  const n = all.length;
  const k = groups.length;
  if (n <= k) throw new Error(`ANOVA needs more observations (${n}) than groups (${k})`);
  const grand = mean(all);
  let ssBetween = 0;
  let ssWithin = 0;
  for (const g of groups) {
    const m = mean(g);
    ssBetween += g.length * (m - grand) ** 2;
    for (const v of g) ssWithin += (v - m) ** 2;
  }
  nonZero(ssWithin, 'within-group variance');
  const dfB = k - 1;
  const dfW = n - k;
  const f = ssBetween / dfB / (ssWithin / dfW);
  return { test: 'one-way ANOVA', statistic: f, df: [dfB, dfW], pValue: fSf(f, dfB, dfW), effectSize: { name: 'eta squared', value: ssBetween / (ssBetween + ssWithin) } };
}

/**
 * Two-sided F-test of equal variances: F = var(x) / var(y) with (n1−1, n2−1) df,
 * p = 2·min(P(F ≤ f), P(F ≥ f)) capped at 1. Effect size: the variance ratio.
 */
export function fTestEqualVariances(x: readonly number[], y: readonly number[]): TestResult {
  checkSample(x, 'x', 2);
  checkSample(y, 'y', 2);
  const vx = variance(x);
  const vy = nonZero(variance(y), 'variance of y');
  nonZero(vx, 'variance of x');
  const f = vx / vy;
  const d1 = x.length - 1;
  const d2 = y.length - 1;
  const p = Math.min(1, 2 * Math.min(fCdf(f, d1, d2), fSf(f, d1, d2)));
  return { test: 'F-test for equal variances', statistic: f, df: [d1, d2], pValue: p, effectSize: { name: 'variance ratio', value: f }, alternative: 'two-sided' };
}
