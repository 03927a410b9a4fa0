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
