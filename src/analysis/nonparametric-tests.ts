/**
 * Mann-Whitney U test with scipy.stats.mannwhitneyu defaults (use_continuity=True, method='auto'):
 * exact null distribution when one sample has at most 8 values and there are no ties, otherwise the
 * normal approximation with tie correction and continuity correction.
 * Hand-written: @stdlib has no rank-sum test (stats-wilcoxon is the signed-rank test), and no other
 * maintained package in the registry matches scipy's exact null distribution.
 */
import { normalSf } from './distributions.js';
import { rankAverage, tieCounts } from './descriptive.js';
import { checkAlternative, checkSample, type Alternative, type TestResult } from './test-result.js';

/** Method used for the p-value. */
export type MannWhitneyMethod = 'auto' | 'exact' | 'asymptotic';

/**
 * Exact counts of U for sample sizes m and n: coefficients of the Gaussian binomial [m+n choose m]_q,
 * built as Π_{i=1..min} (1 − q^{max+i}) / (1 − q^i) with exact BigInt arithmetic.
 */
function exactUCounts(m: number, n: number): bigint[] {
  const small = Math.min(m, n);
  const large = Math.max(m, n);
  const size = small * large + 1;
  const poly = new Array<bigint>(size).fill(0n);
  poly[0] = 1n;
  for (let i = 1; i <= small; i++) {
    const shift = large + i;
    for (let k = size - 1; k >= shift; k--) poly[k] -= poly[k - shift]; // × (1 − q^(large+i))
    for (let k = i; k < size; k++) poly[k] += poly[k - i]; // ÷ (1 − q^i)
  }
  return poly;
}

/** P(U >= u) under the null for sizes m, n (exact). */
export function mannWhitneyExactSf(u: number, m: number, n: number): number {
  const counts = exactUCounts(m, n);
  const start = Math.max(0, Math.ceil(u));
  let upper = 0n;
  let total = 0n;
  counts.forEach((c, k) => {
    total += c;
    if (k >= start) upper += c;
  });
  return Number((upper * 10n ** 18n) / total) / 1e18;
}

/**
 * Mann-Whitney U test. `statistic` is U of x (scipy's U1). Effect size: rank-biserial correlation
 * 2·U1/(n1·n2) − 1 (positive when x tends to be larger). Throws when every value is identical.
 */
export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  options: { alternative?: Alternative; method?: MannWhitneyMethod; useContinuity?: boolean } = {},
): TestResult {
  checkSample(x, 'x', 1);
  checkSample(y, 'y', 1);
  const alternative = options.alternative ?? 'two-sided';
  checkAlternative(alternative);
  const n1 = x.length;
  const n2 = y.length;
  const all = [...x, ...y];
  const ranks = rankAverage(all);
  let r1 = 0;
  for (let i = 0; i < n1; i++) r1 += ranks[i];
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const ties = tieCounts(all);
  const hasTies = ties.some((t) => t > 1);
  let method = options.method ?? 'auto';
  if (method === 'auto') method = (n1 > 8 && n2 > 8) || hasTies ? 'asymptotic' : 'exact';
  const u = alternative === 'greater' ? u1 : alternative === 'less' ? u2 : Math.max(u1, u2);
  let p: number;
  if (method === 'exact') {
    p = mannWhitneyExactSf(u, n1, n2);
  } else {
    const n = n1 + n2;
    const tieTerm = ties.reduce((a, t) => a + t ** 3 - t, 0);
    const s = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
    if (!(s > 0)) throw new Error('Mann-Whitney U: all values are identical; the test is undefined');
    let num = u - (n1 * n2) / 2;
    if (options.useContinuity ?? true) num -= 0.5;
    p = normalSf(num / s);
  }
  if (alternative === 'two-sided') p *= 2;
  p = Math.min(1, Math.max(0, p));
  return {
    test: `Mann-Whitney U (${method})`,
    statistic: u1,
    df: null,
    pValue: p,
    effectSize: { name: 'rank-biserial correlation', value: (2 * u1) / (n1 * n2) - 1 },
    alternative,
  };
}
