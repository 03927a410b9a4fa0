/**
 * Significance of Pearson / Spearman correlation (scipy pearsonr / spearmanr p-values), on
 * @stdlib/stats-pcorrtest (Spearman: the same test on average ranks).
 */
import pcorrtest from '@stdlib/stats-pcorrtest';
import { rankAverage } from './descriptive.js';
import { checkAlternative, checkSample, type Alternative, type TestResult } from './test-result.js';

/**
 * Correlation with its p-value from the t distribution with n − 2 df (scipy's pearsonr is exact under
 * normality and equals this; spearmanr uses the same t approximation). Effect size: the coefficient itself.
 * |r| = 1 gives p = 0. Needs at least 3 pairs; a constant sample throws.
 */
export function correlationTest(
  x: readonly number[],
  y: readonly number[],
  method: 'pearson' | 'spearman' = 'pearson',
  alternative: Alternative = 'two-sided',
): TestResult {
  if (x.length < 3) throw new Error(`correlation test needs at least 3 pairs, got ${x.length}`);
  if (x.length !== y.length) throw new Error(`correlation test needs equal lengths, got ${x.length} and ${y.length}`);
  checkSample(x, 'x', 3);
  checkSample(y, 'y', 3);
  checkAlternative(alternative);
  const [a, b] = method === 'pearson' ? [x as number[], y as number[]] : [rankAverage(x), rankAverage(y)];
  if (a.every((v) => v === a[0]) || b.every((v) => v === b[0])) throw new Error('correlation test: a sample is constant; the coefficient is undefined');
  const result = pcorrtest(a, b, { alternative });
  const r = result.pcorr;
  const df = x.length - 2;
  let p = result.pValue;
  if (Math.abs(r) >= 1) p = alternative === 'two-sided' || (alternative === 'greater') === r > 0 ? 0 : 1;
  return {
    test: method === 'pearson' ? 'Pearson correlation' : 'Spearman correlation',
    statistic: r,
    df,
    pValue: p,
    effectSize: { name: method === 'pearson' ? 'r' : 'rho', value: r },
    alternative,
  };
}
