/** Regression metrics (scikit-learn semantics): residuals, MAE, RMSE, R². */
import { checkFinite, checkSameLength } from './labels.js';

function check(yTrue: readonly number[], yPred: readonly number[]): void {
  checkFinite(yTrue, 'yTrue');
  checkFinite(yPred, 'yPred');
  checkSameLength(yTrue, yPred, 'yTrue', 'yPred');
}

/** yTrue[i] - yPred[i]. */
export function residuals(yTrue: readonly number[], yPred: readonly number[]): number[] {
  check(yTrue, yPred);
  return yTrue.map((t, i) => t - yPred[i]);
}

/** Mean absolute error. */
export function meanAbsoluteError(yTrue: readonly number[], yPred: readonly number[]): number {
  return residuals(yTrue, yPred).reduce((a, r) => a + Math.abs(r), 0) / yTrue.length;
}

/** Mean squared error. */
export function meanSquaredError(yTrue: readonly number[], yPred: readonly number[]): number {
  return residuals(yTrue, yPred).reduce((a, r) => a + r * r, 0) / yTrue.length;
}

/** Root mean squared error. */
export function rootMeanSquaredError(yTrue: readonly number[], yPred: readonly number[]): number {
  return Math.sqrt(meanSquaredError(yTrue, yPred));
}

/**
 * Coefficient of determination (scikit-learn r2_score). When yTrue is constant, sklearn's default
 * (force_finite=True) returns 1 for a perfect prediction and 0 otherwise; so does this function.
 */
export function r2Score(yTrue: readonly number[], yPred: readonly number[]): number {
  const res = residuals(yTrue, yPred);
  const mean = yTrue.reduce((a, b) => a + b, 0) / yTrue.length;
  const ssRes = res.reduce((a, r) => a + r * r, 0);
  const ssTot = yTrue.reduce((a, t) => a + (t - mean) ** 2, 0);
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}
