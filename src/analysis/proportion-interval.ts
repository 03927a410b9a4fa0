/** Confidence interval of a binomial proportion (statsmodels proportion_confint, method="wilson"). */
import { normalQuantile } from './distributions.js';

export interface ProportionInterval {
  /** successes / trials */
  estimate: number;
  low: number;
  high: number;
  /** confidence level, e.g. 0.95 */
  level: number;
}

/**
 * Wilson score interval for `successes` out of `trials` at confidence `level` (default 0.95): unlike
 * the normal approximation it stays inside [0, 1] and is usable for small counts (live accuracy from a
 * few dozen feedbacks). Throws for trials < 1 or successes outside [0, trials].
 */
export function wilsonInterval(successes: number, trials: number, level = 0.95): ProportionInterval {
  if (!Number.isInteger(trials) || trials < 1) throw new Error(`trials must be a positive integer, got ${trials}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > trials) throw new Error(`successes must be an integer in [0, ${trials}], got ${successes}`);
  if (!(level > 0 && level < 1)) throw new Error(`level must be in (0, 1), got ${level}`);
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / (1 + z2n);
  return { estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half), level };
}
