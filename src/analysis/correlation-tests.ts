/** Significance of Pearson / Spearman correlation (scipy pearsonr / spearmanr p-values). */
import { tPValue, type Alternative, type TestResult } from './test-result.js';
import { pearson, spearman } from './descriptive.js';

/**
 * Correlation with its p-value from the t distribution with n − 2 df (scipy's pearsonr is exact under
 * normality and equals this; spearmanr uses the same t approximation). Effect size: the coefficient itself.
 * |r| = 1 gives p = 0. Needs at least 3 pairs.
 */
export function correlationTest(
  x: readonly number[],
  y: readonly number[],
  method: 'pearson' | 'spearman' = 'pearson',
  alternative: Alternative = 'two-sided',
): TestResult {
  if (x.length < 3) throw new Error(`correlation test needs at least 3 pairs, got ${x.length}`);
  const r = method === 'pearson' ? pearson(x, y) : spearman(x, y);
  const df = x.length - 2;
  let p: number;
  if (Math.abs(r) === 1) p = alternative === 'two-sided' || (alternative === 'greater') === r > 0 ? 0 : 1;
  else {
    const t = r * Math.sqrt(df / ((1 - r) * (1 + r)));
    p = tPValue(t, df, alternative);
  }
  return {
    test: method === 'pearson' ? 'Pearson correlation' : 'Spearman correlation',
    statistic: r,
    df,
    pValue: p,
    effectSize: { name: method === 'pearson' ? 'r' : 'rho', value: r },
    alternative,
  };
}
