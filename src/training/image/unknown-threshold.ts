/**
 * The "unknown" threshold on the top-class probability: the largest t such that at least
 * `keepAnswered` of the validation images have top probability >= t (so at most 1 - keepAnswered
 * of in-distribution images are answered "unknown"). Never below 1/numClasses' floor of 0.
 */
export function calibrateUnknownThreshold(topProbs: readonly number[], options: { keepAnswered?: number } = {}): { threshold: number; answered: number; keepAnswered: number; n: number } {
  const keep = options.keepAnswered ?? 0.99;
  if (!(keep > 0 && keep <= 1)) throw new Error(`keepAnswered must be in (0, 1], got ${keep}`);
  if (topProbs.length === 0) throw new Error('calibrateUnknownThreshold: no validation probabilities');
  const sorted = [...topProbs].sort((a, b) => a - b);
  // Allow floor((1 - keep) * n) images below the threshold: the threshold is the next one's probability.
  const allowedBelow = Math.floor((1 - keep) * sorted.length + 1e-9);
  const threshold = Math.max(0, Math.min(1, sorted[allowedBelow]));
  const answered = sorted.filter((p) => p >= threshold).length / sorted.length;
  return { threshold: round6Down(threshold), answered, keepAnswered: keep, n: sorted.length };
}

/** Rounds down to 6 decimals so the threshold stays <= the probability it came from. */
function round6Down(x: number): number {
  return Math.floor(x * 1e6) / 1e6;
}
