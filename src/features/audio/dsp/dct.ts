/**
 * Orthonormal DCT-II matrix (scipy.fftpack.dct(type=2, norm='ortho'), as librosa.feature.mfcc),
 * keeping the first `nOut` coefficients of an `nIn`-point transform, row-major [nOut][nIn],
 * optionally liftered like librosa (`lifter > 0`: row k scaled by 1 + (lifter/2) sin(pi (k+1) / lifter)).
 * Hand-written: librosa-exact and on the feature hot path (BENCHMARKS.md, `npm run bench -- audio-features` against librosa).
 */
export function orthonormalDctMatrix(nIn: number, nOut: number, lifter = 0): Float64Array {
  if (nOut > nIn) throw new Error(`DCT: cannot keep ${nOut} coefficients of a ${nIn}-point transform`);
  const m = new Float64Array(nOut * nIn);
  for (let k = 0; k < nOut; k++) {
    const scale = (k === 0 ? Math.sqrt(1 / nIn) : Math.sqrt(2 / nIn)) * (lifter > 0 ? 1 + (lifter / 2) * Math.sin((Math.PI * (k + 1)) / lifter) : 1);
    for (let n = 0; n < nIn; n++) m[k * nIn + n] = scale * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * nIn));
  }
  return m;
}

/**
 * The same DCT-II folded on its symmetry: row k of the matrix is even in n <-> nIn-1-n for even k and odd
 * for odd k, so even rows only need s[n] = x[n] + x[nIn-1-n] and odd rows d[n] = x[n] - x[nIn-1-n],
 * n < nIn/2 (plus the middle sample, for even rows, when nIn is odd): half the multiply-adds of the
 * matrix product, same result to rounding.
 */
export interface FoldedDct {
  nIn: number;
  nOut: number;
  /** Columns of the folded matrix: floor(nIn/2), plus 1 for the middle sample when nIn is odd. */
  width: number;
  /** [nOut][width] row-major: row k holds matrix[k][0 .. floor(nIn/2)) (and matrix[k][middle] for even k). */
  folded: Float64Array;
  /** Scratch for s and d (not re-entrant: one transform at a time per FoldedDct). */
  sums: Float64Array;
  differences: Float64Array;
}

export function foldedDct(matrix: Float64Array, nIn: number, nOut: number): FoldedDct {
  const halfIn = Math.floor(nIn / 2);
  const width = halfIn + (nIn % 2);
  const folded = new Float64Array(nOut * width);
  for (let k = 0; k < nOut; k++) {
    for (let n = 0; n < halfIn; n++) folded[k * width + n] = matrix[k * nIn + n];
    if (nIn % 2 === 1 && k % 2 === 0) folded[k * width + halfIn] = matrix[k * nIn + halfIn];
  }
  return { nIn, nOut, width, folded, sums: new Float64Array(width), differences: new Float64Array(width) };
}

/** out[outOffset + k] = sum_n matrix[k][n] * src[srcOffset + n], computed through the folded matrix. */
export function foldedDctInto(dct: FoldedDct, src: Float64Array, srcOffset: number, out: Float64Array, outOffset: number): void {
  const { nIn, nOut, width, folded, sums, differences } = dct;
  const halfIn = Math.floor(nIn / 2);
  for (let n = 0; n < halfIn; n++) {
    const a = src[srcOffset + n];
    const b = src[srcOffset + nIn - 1 - n];
    sums[n] = a + b;
    differences[n] = a - b;
  }
  if (width > halfIn) {
    sums[halfIn] = src[srcOffset + halfIn];
    differences[halfIn] = 0;
  }
  for (let k = 0; k < nOut; k += 2) {
    const row = k * width;
    let acc = 0;
    for (let n = 0; n < width; n++) acc += folded[row + n] * sums[n];
    out[outOffset + k] = acc;
  }
  for (let k = 1; k < nOut; k += 2) {
    const row = k * width;
    let acc = 0;
    for (let n = 0; n < width; n++) acc += folded[row + n] * differences[n];
    out[outOffset + k] = acc;
  }
}
