import type { FeatureNormalization } from './settings.js';

/**
 * Normalise rows [0, validRows) of the row-major Float64 matrix `m` ([rows][nFeatures]) into `out`
 * (Float32). Rows of `out` at and after validRows are left as they are (0 in a fresh array: padding).
 *  - none: copy;
 *  - perWindowCmvn: per column (x - mean) / max(std, minStd) over the valid rows (population std),
 *    or only mean removal when variance is false;
 *  - global: (x - mean[c]) / std[c] with the stored statistics.
 */
export function normalizeInto(
  m: Float64Array,
  validRows: number,
  nFeatures: number,
  normalization: FeatureNormalization,
  out: Float32Array,
  scratchMean: Float64Array,
  scratchScale: Float64Array,
): void {
  const n = validRows * nFeatures;
  if (normalization.kind === 'none') {
    for (let i = 0; i < n; i++) out[i] = m[i];
    return;
  }
  const mean = scratchMean;
  const scale = scratchScale;
  if (normalization.kind === 'perWindowCmvn') {
    // one pass: sums and sums of squares in float64 (feature magnitudes are far from cancellation trouble)
    mean.fill(0, 0, nFeatures);
    scale.fill(0, 0, nFeatures);
    for (let r = 0; r < validRows; r++) {
      const base = r * nFeatures;
      for (let c = 0; c < nFeatures; c++) {
        const v = m[base + c];
        mean[c] += v;
        scale[c] += v * v;
      }
    }
    cmvnFromSums(normalization, validRows, nFeatures, mean, scale);
  } else {
    globalAffine(normalization, nFeatures, mean, scale);
  }
  for (let r = 0; r < validRows; r++) {
    const base = r * nFeatures;
    for (let c = 0; c < nFeatures; c++) out[base + c] = (m[base + c] - mean[c]) * scale[c];
  }
}

/**
 * Per-window CMVN from column sums: on entry mean[c] / scale[c] hold the sum and the sum of squares of
 * column c over `count` rows; on exit the mean and the factor that (x - mean) is multiplied by.
 * Population std, floored at minStd; factor 1 without variance normalisation.
 */
export function cmvnFromSums(
  normalization: Extract<FeatureNormalization, { kind: 'perWindowCmvn' }>,
  count: number,
  nFeatures: number,
  mean: Float64Array,
  scale: Float64Array,
): void {
  for (let c = 0; c < nFeatures; c++) {
    const mu = mean[c] / count;
    const variance = Math.max(0, scale[c] / count - mu * mu);
    mean[c] = mu;
    scale[c] = normalization.variance ? 1 / Math.max(Math.sqrt(variance), normalization.minStd) : 1;
  }
}

/** Global normalisation as (x - mean[c]) * scale[c]: the stored mean and 1 / std. */
export function globalAffine(normalization: Extract<FeatureNormalization, { kind: 'global' }>, nFeatures: number, mean: Float64Array, scale: Float64Array): void {
  for (let c = 0; c < nFeatures; c++) {
    mean[c] = normalization.mean[c];
    scale[c] = 1 / normalization.std[c];
  }
}
