import { chiSquareIndependence } from '../../analysis/contingency-tests.js';
import { kurtosis, mean, median, mode, skewness, std, variance } from '../../analysis/descriptive.js';
import { normalCdf, normalQuantile } from '../../analysis/distributions.js';
import { oneWayAnova, tTestIndependent } from '../../analysis/parametric-tests.js';
import type { TestResult } from '../../analysis/test-result.js';
import type { EnrichedCourse } from '../../features/course/enrich.js';
import { COURSE_LEVELS } from '../../features/course/schema.js';

/**
 * Descriptive statistics and hypothesis tests of the course catalogue, with pandas / scipy
 * definitions (analysis toolkit): per-feature mean, median, mode, variance, std (ddof 1),
 * skewness and excess kurtosis (pandas skew/kurt); Welch and Student t-tests of log1p(subscribers)
 * paid vs free; one-way ANOVA of log1p(subscribers) across subjects; chi-square of level by subject.
 * Each test carries its effect size, an approximate power at that effect and a plain-words reading
 * of the Type I / Type II error risk.
 */
export const STAT_FEATURES: Record<string, (c: EnrichedCourse) => number | undefined> = {
  price: (c) => c.price,
  num_subscribers: (c) => c.numSubscribers,
  num_reviews: (c) => c.numReviews,
  num_lectures: (c) => c.numLectures,
  content_duration: (c) => c.contentDurationHours,
  log1p_subscribers: (c) => (c.numSubscribers === undefined ? undefined : Math.log1p(c.numSubscribers)),
  title_length: (c) => c.titleLength,
  published_year: (c) => c.publishedYear,
};

export interface FeatureStatistics {
  feature: string;
  n: number;
  mean: number;
  median: number;
  /** Smallest of the most frequent values (pandas mode()[0]). */
  mode: number;
  variance: number;
  std: number;
  skewness: number;
  kurtosis: number;
}

export interface ReadTest extends TestResult {
  name: string;
  /** Approximate power at the observed effect size and alpha (normal approximation). */
  power: number | null;
  reading: string;
}

export interface CourseStatistics {
  n: number;
  alpha: number;
  features: FeatureStatistics[];
  groups: { paid: number; free: number; subjects: Record<string, number> };
  tests: { tTestWelch: ReadTest; tTestStudent: ReadTest; anova: ReadTest; chiSquare: ReadTest & { table: number[][]; rows: string[]; columns: string[] } };
}

export function featureStatistics(records: readonly EnrichedCourse[]): FeatureStatistics[] {
  return Object.entries(STAT_FEATURES).map(([feature, get]) => {
    const v = records.map(get).filter((x): x is number => x !== undefined);
    return { feature, n: v.length, mean: mean(v), median: median(v), mode: mode(v)[0], variance: variance(v), std: std(v), skewness: skewness(v), kurtosis: kurtosis(v) };
  });
}

function reading(name: string, r: TestResult, alpha: number, power: number | null, what: string): string {
  const sig = r.pValue < alpha;
  const p = r.pValue < 1e-4 ? r.pValue.toExponential(2) : r.pValue.toFixed(4);
  const es = `${r.effectSize.name} = ${r.effectSize.value.toFixed(3)}`;
  if (sig) {
    return (
      `${name}: p = ${p} < ${alpha}, so we reject "no difference" for ${what} (${es}). ` +
      `Type I risk: if there really were no difference, a result this extreme would occur with probability p; at alpha = ${alpha} we accept a 5 % false-alarm rate per test. ` +
      `With n this large even small effects become significant, so judge the effect size, not the p-value alone.`
    );
  }
  const pw = power === null ? 'unknown' : `${(power * 100).toFixed(0)} %`;
  return (
    `${name}: p = ${p} >= ${alpha}, so we do not reject "no difference" for ${what} (${es}). ` +
    `Type II risk: the power to detect an effect of this size was about ${pw}, so a real effect of this size would be missed ${power === null ? 'with unknown probability' : `about ${((1 - power) * 100).toFixed(0)} % of the time`}; "not significant" is not proof of no effect.`
  );
}

/** Power of a two-sided two-sample test at Cohen's d (normal approximation). */
export function twoSamplePower(d: number, n1: number, n2: number, alpha: number): number {
  const z = normalQuantile(1 - alpha / 2);
  const ncp = Math.abs(d) * Math.sqrt((n1 * n2) / (n1 + n2));
  return normalCdf(ncp - z) + normalCdf(-ncp - z);
}

/**
 * Power of a chi-square-distributed test with `df` degrees of freedom and noncentrality `lambda`
 * (ANOVA: lambda = f² n; chi-square: lambda = w² n): Wilson-Hilferty critical value and a normal
 * approximation of the noncentral chi-square. Rough, but enough to say "high" or "low".
 */
export function chiSquarePower(lambda: number, df: number, alpha: number): number {
  const z = normalQuantile(1 - alpha);
  const crit = df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
  const m = df + lambda;
  const sd = Math.sqrt(2 * (df + 2 * lambda));
  return 1 - normalCdf((crit - m) / sd);
}

export function courseStatistics(records: readonly EnrichedCourse[], alpha = 0.05): CourseStatistics {
  const logSubs = (c: EnrichedCourse) => Math.log1p(c.numSubscribers ?? NaN);
  const labelled = records.filter((r) => r.numSubscribers !== undefined && r.subject !== undefined);
  const paid = labelled.filter((r) => !r.isFree).map(logSubs);
  const free = labelled.filter((r) => r.isFree).map(logSubs);
  const subjects = [...new Set(labelled.map((r) => r.subject!))].sort();
  const bySubject = subjects.map((s) => labelled.filter((r) => r.subject === s).map(logSubs));

  const welch = tTestIndependent(paid, free, { equalVariances: false });
  const student = tTestIndependent(paid, free, { equalVariances: true });
  const anova = oneWayAnova(bySubject);
  const levels = COURSE_LEVELS.filter((l) => labelled.some((r) => r.level === l));
  const table = levels.map((l) => subjects.map((s) => labelled.filter((r) => r.level === l && r.subject === s).length));
  const chi = chiSquareIndependence(table);

  const tPower = twoSamplePower(welch.effectSize.value, paid.length, free.length, alpha);
  const eta2 = anova.effectSize.value;
  const aPower = chiSquarePower((eta2 / Math.max(1e-12, 1 - eta2)) * labelled.length, subjects.length - 1, alpha);
  const chiN = table.flat().reduce((a, b) => a + b, 0);
  const w = chi.effectSize.value * Math.sqrt(Math.min(levels.length, subjects.length) - 1);
  const cPower = chiSquarePower(w * w * chiN, (levels.length - 1) * (subjects.length - 1), alpha);
  const read = (name: string, r: TestResult, power: number | null, what: string): ReadTest => ({ ...r, name, power, reading: reading(name, r, alpha, power, what) });
  return {
    n: records.length,
    alpha,
    features: featureStatistics(records),
    groups: { paid: paid.length, free: free.length, subjects: Object.fromEntries(subjects.map((s, i) => [s, bySubject[i].length])) },
    tests: {
      tTestWelch: read('Welch t-test, log1p(subscribers), paid vs free', welch, tPower, 'the mean log subscribers of paid and free courses'),
      tTestStudent: read('Student t-test, log1p(subscribers), paid vs free', student, tPower, 'the mean log subscribers of paid and free courses'),
      anova: read('one-way ANOVA, log1p(subscribers) across subjects', anova, aPower, 'the mean log subscribers of the subjects'),
      chiSquare: { ...read('chi-square test of independence, level by subject', chi, cPower, 'the level mix of the subjects'), table, rows: [...levels], columns: subjects },
    },
  };
}
