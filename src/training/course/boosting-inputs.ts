import type { SeededRandom } from '../../core/random.js';

/** The options every boosting fitter shares. */
export interface BoostingCommonOptions {
  rounds: number;
  learningRate: number;
  subsample?: number;
  maxFeatures?: number;
}

/**
 * Checks a boosting fitter's columns, target and shared options (`name` starts each error) and returns
 * the row count and the defaulted fractions.
 */
export function checkBoostingInputs(
  name: string,
  columns: readonly Float64Array[],
  featureIds: readonly number[],
  y: Float64Array,
  o: BoostingCommonOptions,
): { n: number; subsample: number; featureFraction: number } {
  const n = y.length;
  if (n === 0) throw new Error(`${name}: no training rows`);
  if (columns.length !== featureIds.length) throw new Error(`${name}: ${columns.length} columns but ${featureIds.length} feature ids`);
  if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new Error(`${name}: rounds must be a positive integer, got ${o.rounds}`);
  if (!(o.learningRate > 0 && o.learningRate <= 1)) throw new Error(`${name}: learningRate must be in (0, 1], got ${o.learningRate}`);
  const subsample = o.subsample ?? 1;
  if (!(subsample > 0 && subsample <= 1)) throw new Error(`${name}: subsample must be in (0, 1], got ${subsample}`);
  const featureFraction = o.maxFeatures ?? 1;
  if (!(featureFraction > 0 && featureFraction <= 1)) throw new Error(`${name}: maxFeatures must be in (0, 1], got ${featureFraction}`);
  for (const c of columns) if (c.length !== n) throw new Error(`${name}: a column has ${c.length} rows, the target ${n}`);
  return { n, subsample, featureFraction };
}

/** Mean of the target: every boosted ensemble starts its prediction there. */
export function targetMean(y: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i];
  return mean / y.length;
}

/** Partial Fisher-Yates: the first `take` entries of `rows` become a uniform sample without replacement. */
export function sampleRowsInPlace(rows: Int32Array, take: number, rng: SeededRandom): void {
  const n = rows.length;
  for (let i = 0; i < take && i < n; i++) {
    const j = i + rng.int(n - i);
    const tmp = rows[i];
    rows[i] = rows[j];
    rows[j] = tmp;
  }
}
