/**
 * librosa.feature.delta (scipy.signal.savgol_filter, polyorder = order, deriv = order, mode 'interp')
 * along time, for order 1 and 2. In 'interp' mode the first and last floor(width/2) outputs come from a
 * polynomial of degree `order` fitted to the first / last `width` frames; its `order`-th derivative is
 * constant and equals the centred filter's output at frame floor(width/2) (resp. n-1-floor(width/2)).
 * Hand-written: librosa-exact and on the feature hot path (BENCHMARKS.md, `npm run bench -- audio-features` against librosa).
 */
export function deltaCoefficients(width: number, order: 1 | 2): Float64Array {
  if (width < 3 || width % 2 !== 1) throw new Error(`delta width must be odd and >= 3, got ${width}`);
  const half = (width - 1) / 2;
  const c = new Float64Array(width);
  if (order === 1) {
    let denom = 0;
    for (let k = -half; k <= half; k++) denom += k * k;
    for (let k = -half; k <= half; k++) c[k + half] = k / denom;
  } else {
    let meanSq = 0;
    for (let k = -half; k <= half; k++) meanSq += k * k;
    meanSq /= width;
    let denom = 0;
    for (let k = -half; k <= half; k++) denom += (k * k - meanSq) ** 2;
    for (let k = -half; k <= half; k++) c[k + half] = (2 * (k * k - meanSq)) / denom;
  }
  return c;
}

/**
 * The centred delta of one row: dst[dstOffset + c] = sum_k coefficients[k] * src[firstRow + k*stride + c],
 * where firstRow is the offset of the row `half` rows before the centre. Shared by the per-window and the
 * per-frame (streaming cache) paths so both give bitwise the same values.
 */
export function centredDeltaRow(
  src: ArrayLike<number>,
  firstRow: number,
  stride: number,
  nCols: number,
  coefficients: Float64Array,
  dst: Float64Array | Float32Array,
  dstOffset: number,
): void {
  const width = coefficients.length;
  for (let c = 0; c < nCols; c++) {
    let acc = 0;
    let idx = firstRow + c;
    for (let k = 0; k < width; k++, idx += stride) acc += coefficients[k] * src[idx];
    dst[dstOffset + c] = acc;
  }
}

/**
 * Deltas of `nCols` columns of a row-major matrix of `nRows` rows (librosa 'interp' edges).
 * Reads src[srcOffset + r*srcStride + c], writes dst[dstOffset + r*dstStride + c].
 */
export function deltasInto(
  src: ArrayLike<number>,
  srcOffset: number,
  srcStride: number,
  nRows: number,
  nCols: number,
  coefficients: Float64Array,
  dst: Float64Array | Float32Array,
  dstOffset: number,
  dstStride: number,
): void {
  const width = coefficients.length;
  const half = (width - 1) / 2;
  if (nRows < width) {
    throw new Error(`deltas need at least ${width} frames (delta width), got ${nRows}`);
  }
  for (let r = half; r < nRows - half; r++) {
    centredDeltaRow(src, srcOffset + (r - half) * srcStride, srcStride, nCols, coefficients, dst, dstOffset + r * dstStride);
  }
  fillDeltaEdges(dst, dstOffset, dstStride, nRows, nCols, half);
}

/** 'interp' edges: rows [0, half) copy row half, rows (nRows-1-half, nRows) copy row nRows-1-half. */
export function fillDeltaEdges(
  dst: Float64Array | Float32Array,
  dstOffset: number,
  dstStride: number,
  nRows: number,
  nCols: number,
  half: number,
): void {
  const headFrom = dstOffset + half * dstStride;
  const tailFrom = dstOffset + (nRows - 1 - half) * dstStride;
  for (let r = 0; r < half; r++) {
    for (let c = 0; c < nCols; c++) {
      dst[dstOffset + r * dstStride + c] = dst[headFrom + c];
      dst[dstOffset + (nRows - 1 - r) * dstStride + c] = dst[tailFrom + c];
    }
  }
}
