import type { FeatureNormalization } from './settings.js';

/**
 * Normalise rows [0, validRows) of a row-major [rows][nFeatures] matrix in place.
 * Rows at and after validRows are padding and are set to 0 (the normalised mean).
 */
export function normalizeWindowInPlace(
  m: Float64Array,
  rows: number,
  validRows: number,
  nFeatures: number,
  normalization: FeatureNormalization,
  scratchMean: Float64Array,
  scratchScale: Float64Array,
): void {
  if (normalization.kind === 'perWindowCmvn') {
    scratchMean.fill(0, 0, nFeatures);
    scratchScale.fill(0, 0, nFeatures);
    for (let r = 0; r < validRows; r++) {
      const base = r * nFeatures;
      for (let c = 0; c < nFeatures; c++) scratchMean[c] += m[base + c];
    }
    for (let c = 0; c < nFeatures; c++) scratchMean[c] /= validRows;
    if (normalization.variance) {
      for (let r = 0; r < validRows; r++) {
        const base = r * nFeatures;
        for (let c = 0; c < nFeatures; c++) {
          const d = m[base + c] - scratchMean[c];
          scratchScale[c] += d * d;
        }
      }
      for (let c = 0; c < nFeatures; c++) scratchScale[c] = 1 / Math.max(Math.sqrt(scratchScale[c] / validRows), normalization.minStd);
    } else {
      scratchScale.fill(1, 0, nFeatures);
    }
    applyAffine(m, validRows, nFeatures, scratchMean, scratchScale);
  } else if (normalization.kind === 'global') {
    for (let c = 0; c < nFeatures; c++) {
      scratchMean[c] = normalization.mean[c];
      scratchScale[c] = 1 / normalization.std[c];
    }
    applyAffine(m, validRows, nFeatures, scratchMean, scratchScale);
  }
  m.fill(0, validRows * nFeatures, rows * nFeatures);
}

function applyAffine(m: Float64Array, rows: number, nFeatures: number, mean: Float64Array, scale: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const base = r * nFeatures;
    for (let c = 0; c < nFeatures; c++) m[base + c] = (m[base + c] - mean[c]) * scale[c];
  }
}
