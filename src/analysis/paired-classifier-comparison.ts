/**
 * Two classifiers compared on their correct predictions over the same items. McNemar's test (exact
 * binomial, and chi-square with continuity correction) is the right test: each item is scored by both
 * models, so the outcomes are paired. The two-sample z-test on the 0/1 correct indicators is given
 * beside it because it is what is often reported, but it assumes two independent samples, which these
 * are not (statsmodels ztest semantics): it misstates the variance of the difference, too conservative
 * when the two models' errors are positively correlated, as similar models' are.
 */
import { mcnemar, mcnemarTable } from './contingency-tests.js';
import type { Label } from './labels.js';
import { zTestTwoSample } from './parametric-tests.js';
import type { TestResult } from './test-result.js';

export interface PairedClassifierComparison {
  n: number;
  accuracyA: number;
  accuracyB: number;
  /** [[both correct, only A correct], [only B correct, both wrong]]. */
  table: number[][];
  mcnemarExact: TestResult;
  /** null when no item is discordant (the chi-square statistic is undefined). */
  mcnemarChiSquare: TestResult | null;
  /** null when both models are right on every item (or wrong on every item): no variance. */
  zTest: TestResult | null;
}

/** The caveat every report of `zTest` should carry. */
export const Z_TEST_CAVEAT =
  'the z-test treats the two models\' correct/incorrect outcomes as independent samples; they are paired (the same items), so McNemar\'s test is the valid one and the z-test is shown for comparison only';

export function comparePairedClassifiers(yTrue: readonly Label[], predA: readonly Label[], predB: readonly Label[]): PairedClassifierComparison {
  const table = mcnemarTable(yTrue, predA, predB);
  const n = yTrue.length;
  const correctA: number[] = yTrue.map((y, i) => (predA[i] === y ? 1 : 0));
  const correctB: number[] = yTrue.map((y, i) => (predB[i] === y ? 1 : 0));
  const discordant = table[0][1] + table[1][0];
  let zTest: TestResult | null;
  try {
    zTest = zTestTwoSample(correctA, correctB);
  } catch {
    zTest = null; // zero pooled variance: every outcome is the same
  }
  return {
    n,
    accuracyA: correctA.reduce((a, b) => a + b, 0) / n,
    accuracyB: correctB.reduce((a, b) => a + b, 0) / n,
    table,
    mcnemarExact: mcnemar(table, { exact: true }),
    mcnemarChiSquare: discordant > 0 ? mcnemar(table, { exact: false, correction: true }) : null,
    zTest,
  };
}
