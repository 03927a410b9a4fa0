/**
 * Real-input FFT of a power-of-two size N, for the per-frame spectrum: the N real samples are packed as
 * N/2 complex values (even samples real, odd imaginary), transformed by an iterative radix-2 complex FFT
 * whose first two stages are merged into multiplication-free radix-4 butterflies, and the N/2 + 1 bins
 * of the real spectrum are untangled from it. Half the work of a complex FFT of the zero-imaginary
 * signal; every table (bit reversal, twiddles) is computed once per size, and transform() allocates
 * nothing. Results equal numpy.fft.rfft to rounding (about 1e-16 relative to the largest bin).
 * Hand-written: it is the largest single cost of a frame (BENCHMARKS.md, `npm run bench -- audio-features`).
 */
export class RealFft {
  /** Number of real input samples (N). */
  readonly size: number;
  /** Number of output bins, N/2 + 1. */
  readonly nBins: number;
  private readonly half: number;
  private readonly bitReversed: Int32Array;
  /** Per radix-4 pass (sub-transform length h = 4, 16, ...): W^j, W^2j, W^3j with W = exp(-2 pi i / 4h). */
  private readonly radix4Twiddles: Float64Array[];
  /** exp(-2 pi i j / 2h) for the final radix-2 stage of span h (used when N/2 is an odd power of two). */
  private readonly radix2Twiddles: Float64Array;
  /** exp(-2 pi i k / N) for the untangling step, k in [0, N/4]. */
  private readonly untangleRe: Float64Array;
  private readonly untangleIm: Float64Array;
  private readonly zRe: Float64Array;
  private readonly zIm: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 8 || (size & (size - 1)) !== 0) {
      throw new Error(`RealFft: size must be a power of two >= 8, got ${size}`);
    }
    this.size = size;
    const half = size / 2;
    this.half = half;
    this.nBins = half + 1;
    const bits = Math.log2(half);
    this.bitReversed = new Int32Array(half);
    for (let i = 0; i < half; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.bitReversed[i] = r;
    }
    this.radix4Twiddles = [];
    let h = 4;
    for (; 4 * h <= half; h *= 4) {
      // exp(-2 pi i r j / 4h) for r = 1, 2, 3, interleaved (re, im) per j
      const w = new Float64Array(6 * h);
      for (let j = 0; j < h; j++) {
        for (let r = 1; r <= 3; r++) {
          w[6 * j + 2 * (r - 1)] = Math.cos((2 * Math.PI * r * j) / (4 * h));
          w[6 * j + 2 * (r - 1) + 1] = -Math.sin((2 * Math.PI * r * j) / (4 * h));
        }
      }
      this.radix4Twiddles.push(w);
    }
    this.radix2Twiddles = new Float64Array(2 * h);
    for (let j = 0; j < h && h < half; j++) {
      this.radix2Twiddles[2 * j] = Math.cos((Math.PI * j) / h);
      this.radix2Twiddles[2 * j + 1] = -Math.sin((Math.PI * j) / h);
    }
    const quarter = half / 2;
    this.untangleRe = new Float64Array(quarter + 1);
    this.untangleIm = new Float64Array(quarter + 1);
    for (let k = 0; k <= quarter; k++) {
      this.untangleRe[k] = Math.cos((2 * Math.PI * k) / size);
      this.untangleIm[k] = -Math.sin((2 * Math.PI * k) / size);
    }
    this.zRe = new Float64Array(half);
    this.zIm = new Float64Array(half);
  }

  /** Spectrum of input[0 .. size): bin k is re[k] + i im[k], k in [0, nBins). */
  transform(input: Float64Array, re: Float64Array, im: Float64Array): void {
    const half = this.half;
    const zr = this.zRe;
    const zi = this.zIm;
    const rev = this.bitReversed;
    // pack (bit-reversed) and do the first two radix-2 stages as one radix-4 butterfly (twiddles 1, -i)
    for (let i = 0; i < half; i += 4) {
      const a = 2 * rev[i];
      const b = 2 * rev[i + 1];
      const c = 2 * rev[i + 2];
      const d = 2 * rev[i + 3];
      const ar = input[a], ai = input[a + 1], br = input[b], bi = input[b + 1];
      const cr = input[c], ci = input[c + 1], dr = input[d], di = input[d + 1];
      const s0r = ar + br, s0i = ai + bi, s1r = ar - br, s1i = ai - bi;
      const s2r = cr + dr, s2i = ci + di, s3r = cr - dr, s3i = ci - di;
      zr[i] = s0r + s2r;
      zi[i] = s0i + s2i;
      zr[i + 2] = s0r - s2r;
      zi[i + 2] = s0i - s2i;
      zr[i + 1] = s1r + s3i;
      zi[i + 1] = s1i - s3r;
      zr[i + 3] = s1r - s3i;
      zi[i + 3] = s1i + s3r;
    }
    let h = 4;
    const tw = this.radix4Twiddles;
    for (let pass = 0; 4 * h <= half; pass++, h *= 4) {
      const w = tw[pass];
      for (let start = 0; start < half; start += 4 * h) {
        for (let j = 0; j < h; j++) {
          // the block's four length-h sub-transforms, of samples 4n, 4n+2, 4n+1, 4n+3 (bit-reversed order)
          const p0 = start + j;
          const p1 = p0 + h;
          const p2 = p1 + h;
          const p3 = p2 + h;
          const t = 6 * j;
          const w1r = w[t], w1i = w[t + 1], w2r = w[t + 2], w2i = w[t + 3], w3r = w[t + 4], w3i = w[t + 5];
          const ar = zr[p0], ai = zi[p0];
          const br = zr[p2] * w1r - zi[p2] * w1i, bi = zr[p2] * w1i + zi[p2] * w1r;
          const cr = zr[p1] * w2r - zi[p1] * w2i, ci = zr[p1] * w2i + zi[p1] * w2r;
          const dr = zr[p3] * w3r - zi[p3] * w3i, di = zr[p3] * w3i + zi[p3] * w3r;
          const s0r = ar + cr, s0i = ai + ci, s1r = ar - cr, s1i = ai - ci;
          const s2r = br + dr, s2i = bi + di, s3r = br - dr, s3i = bi - di;
          zr[p0] = s0r + s2r;
          zi[p0] = s0i + s2i;
          zr[p2] = s0r - s2r;
          zi[p2] = s0i - s2i;
          // -i (s3) and +i (s3)
          zr[p1] = s1r + s3i;
          zi[p1] = s1i - s3r;
          zr[p3] = s1r - s3i;
          zi[p3] = s1i + s3r;
        }
      }
    }
    if (h < half) {
      // one radix-2 stage left when N/2 is an odd power of two
      const w = this.radix2Twiddles;
      for (let j = 0; j < h; j++) {
        const q = j + h;
        const wr = w[2 * j];
        const wi = w[2 * j + 1];
        const xr = zr[q] * wr - zi[q] * wi;
        const xi = zr[q] * wi + zi[q] * wr;
        zr[q] = zr[j] - xr;
        zi[q] = zi[j] - xi;
        zr[j] += xr;
        zi[j] += xi;
      }
    }
    // untangle: X[k] = E[k] + W^k O[k], E = (Z[k] + conj Z[M-k]) / 2, O = (Z[k] - conj Z[M-k]) / 2i,
    // computed for k and M-k together
    re[0] = zr[0] + zi[0];
    im[0] = 0;
    re[half] = zr[0] - zi[0];
    im[half] = 0;
    const ur = this.untangleRe;
    const ui = this.untangleIm;
    const quarter = half / 2;
    for (let k = 1; k <= quarter; k++) {
      const m = half - k;
      const er = 0.5 * (zr[k] + zr[m]);
      const ei = 0.5 * (zi[k] - zi[m]);
      const or = 0.5 * (zi[k] + zi[m]);
      const oi = -0.5 * (zr[k] - zr[m]);
      // W^k O and, for bin M-k, W^(M-k) = -conj(W^k)
      const tr = ur[k] * or - ui[k] * oi;
      const ti = ur[k] * oi + ui[k] * or;
      re[k] = er + tr;
      im[k] = ei + ti;
      // bin M-k: E[M-k] = conj E[k], O[M-k] = conj O[k]; W^(M-k) O[M-k] = -conj(W^k O[k])
      re[m] = er - tr;
      im[m] = ti - ei;
    }
  }
}
