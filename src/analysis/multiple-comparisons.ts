/**
 * Multiple-comparison corrections matching statsmodels.stats.multitest.multipletests.
 * Hand-written: no maintained npm package implements multipletests; Holm and BH are a few lines each.
 */

/** Correction method: Holm step-down (FWER) or Benjamini-Hochberg (FDR). */
export type CorrectionMethod = 'holm' | 'fdr_bh';

/** Adjusted p-values and reject decisions, in the input order. */
export interface CorrectionResult {
  method: CorrectionMethod;
  alpha: number;
  reject: boolean[];
  adjusted: number[];
}

/** Adjust p-values with Holm or Benjamini-Hochberg (same numbers and decisions as statsmodels multipletests). */
export function adjustPValues(pValues: readonly number[], method: CorrectionMethod, alpha = 0.05): CorrectionResult {
  if (pValues.length === 0) throw new Error('adjustPValues: no p-values given');
  pValues.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) throw new Error(`pValues[${i}] is ${p}; p-values must be in [0, 1]`);
  });
  if (!(alpha > 0 && alpha < 1)) throw new Error(`alpha must be in (0, 1), got ${alpha}`);
  const n = pValues.length;
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[a] - pValues[b]);
  const sorted = order.map((i) => pValues[i]);
  const adjSorted = new Array<number>(n);
  const rejSorted = new Array<boolean>(n).fill(false);
  if (method === 'holm') {
    let running = 0;
    for (let k = 0; k < n; k++) {
      running = Math.max(running, sorted[k] * (n - k));
      adjSorted[k] = Math.min(1, running);
    }
    for (let k = 0; k < n && sorted[k] <= alpha / (n - k); k++) rejSorted[k] = true;
  } else if (method === 'fdr_bh') {
    let running = Number.POSITIVE_INFINITY;
    for (let k = n - 1; k >= 0; k--) {
      running = Math.min(running, (sorted[k] * n) / (k + 1));
      adjSorted[k] = Math.min(1, running);
    }
    let last = -1;
    for (let k = 0; k < n; k++) if (sorted[k] <= ((k + 1) / n) * alpha) last = k;
    for (let k = 0; k <= last; k++) rejSorted[k] = true;
  } else {
    throw new Error(`unknown correction method ${JSON.stringify(method)}; use 'holm' or 'fdr_bh'`);
  }
  const adjusted = new Array<number>(n);
  const reject = new Array<boolean>(n);
  order.forEach((orig, k) => {
    adjusted[orig] = adjSorted[k];
    reject[orig] = rejSorted[k];
  });
  return { method, alpha, reject, adjusted };
}

/** Holm step-down correction. */
export const holm = (pValues: readonly number[], alpha = 0.05): CorrectionResult => adjustPValues(pValues, 'holm', alpha);

/** Benjamini-Hochberg false discovery rate correction. */
export const benjaminiHochberg = (pValues: readonly number[], alpha = 0.05): CorrectionResult => adjustPValues(pValues, 'fdr_bh', alpha);
