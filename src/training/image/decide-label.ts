import { argMax } from './classification-summary.js';

export const UNKNOWN_LABEL = 'unknown';

/** Label with the manifest's unknown threshold applied ("unknown" below it). */
export function decideLabel(labels: readonly string[], probs: ArrayLike<number>, threshold?: number): string {
  const best = argMax(probs);
  return threshold !== undefined && probs[best] < threshold ? UNKNOWN_LABEL : labels[best];
}
