/**
 * Ranking metrics with binary relevance (the analysis toolkit has classification and regression
 * metrics but no ranking ones). `relevant` flags the ranked list in order; `totalRelevant` is how
 * many relevant items exist in the whole candidate set (for the ideal DCG).
 */
export function precisionAtK(relevant: readonly boolean[], k: number): number {
  checkK(k);
  let hits = 0;
  for (let i = 0; i < Math.min(k, relevant.length); i++) if (relevant[i]) hits++;
  return hits / k;
}

/** nDCG@k = DCG@k / IDCG@k, gain 1 for a relevant item, discount log2(rank + 1); NaN when nothing is relevant. */
export function ndcgAtK(relevant: readonly boolean[], totalRelevant: number, k: number): number {
  checkK(k);
  if (!(totalRelevant >= 0)) throw new Error(`totalRelevant must be >= 0, got ${totalRelevant}`);
  if (totalRelevant === 0) return NaN;
  let dcg = 0;
  for (let i = 0; i < Math.min(k, relevant.length); i++) if (relevant[i]) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  for (let i = 0; i < Math.min(k, totalRelevant); i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
}
