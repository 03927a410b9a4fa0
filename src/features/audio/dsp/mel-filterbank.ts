/**
 * Mel filterbank exactly as librosa.filters.mel (0.10): triangular filters between mel-spaced edge
 * frequencies, 'slaney' (default) or 'htk' mel scale, optional Slaney area normalisation, weights stored
 * in float32 like librosa's default dtype. Kept sparse: each filter is a contiguous run of bins.
 * Hand-written: librosa-exact and on the feature hot path (BENCHMARKS.md, `npm run bench -- audio-features` against librosa).
 */
export interface SparseMelFilterbank {
  nMels: number;
  nBins: number;
  /** First FFT bin of filter m. */
  start: Int32Array;
  /** Weights of filter m, bins start[m] .. start[m] + weights[m].length - 1. */
  weights: Float64Array[];
  /** All filters' weights back to back (the hot loop reads one array): filter m is flat[offset[m] .. offset[m + 1]). */
  flat: Float64Array;
  offset: Int32Array;
}

const SLANEY_F_SP = 200 / 3;
const SLANEY_MIN_LOG_HZ = 1000;
const SLANEY_MIN_LOG_MEL = SLANEY_MIN_LOG_HZ / SLANEY_F_SP;
const SLANEY_LOGSTEP = Math.log(6.4) / 27;

export function hzToMel(hz: number, scale: 'slaney' | 'htk'): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + hz / 700);
  if (hz >= SLANEY_MIN_LOG_HZ) return SLANEY_MIN_LOG_MEL + Math.log(hz / SLANEY_MIN_LOG_HZ) / SLANEY_LOGSTEP;
  return hz / SLANEY_F_SP;
}

export function melToHz(mel: number, scale: 'slaney' | 'htk'): number {
  if (scale === 'htk') return 700 * (10 ** (mel / 2595) - 1);
  if (mel >= SLANEY_MIN_LOG_MEL) return SLANEY_MIN_LOG_HZ * Math.exp(SLANEY_LOGSTEP * (mel - SLANEY_MIN_LOG_MEL));
  return SLANEY_F_SP * mel;
}

export interface MelFilterbankOptions {
  sampleRate: number;
  nFft: number;
  nMels: number;
  fMin: number;
  fMax: number;
  scale: 'slaney' | 'htk';
  norm: 'slaney' | null;
}

/** Dense [nMels][nBins] weights (librosa.filters.mel layout). */
export function melFilterbankDense(o: MelFilterbankOptions): Float64Array[] {
  const nBins = Math.floor(o.nFft / 2) + 1;
  const fftFreqs = new Float64Array(nBins);
  // librosa.fft_frequencies = np.fft.rfftfreq(n_fft, d=1/sr): k * (1 / (n_fft * (1/sr)))
  const binHz = 1 / (o.nFft * (1 / o.sampleRate));
  for (let k = 0; k < nBins; k++) fftFreqs[k] = k * binHz;
  const minMel = hzToMel(o.fMin, o.scale);
  const maxMel = hzToMel(o.fMax, o.scale);
  const nEdges = o.nMels + 2;
  const edges = new Float64Array(nEdges);
  for (let i = 0; i < nEdges; i++) {
    // np.linspace(min, max, n): i * step + min with step = (max - min) / (n - 1), last value exactly max
    const mel = i === nEdges - 1 ? maxMel : i * ((maxMel - minMel) / (nEdges - 1)) + minMel;
    edges[i] = melToHz(mel, o.scale);
  }
  const rows: Float64Array[] = [];
  for (let m = 0; m < o.nMels; m++) {
    const row = new Float64Array(nBins);
    const lowDiff = edges[m + 1] - edges[m];
    const highDiff = edges[m + 2] - edges[m + 1];
    const enorm = o.norm === 'slaney' ? 2 / (edges[m + 2] - edges[m]) : 1;
    for (let k = 0; k < nBins; k++) {
      const lower = -(edges[m] - fftFreqs[k]) / lowDiff;
      const upper = (edges[m + 2] - fftFreqs[k]) / highDiff;
      const w = Math.max(0, Math.min(lower, upper));
      // librosa stores float32 weights, then `weights *= enorm` (computed in float64, stored as float32).
      row[k] = Math.fround(Math.fround(w) * enorm);
    }
    rows.push(row);
  }
  return rows;
}

export function sparseMelFilterbank(o: MelFilterbankOptions): SparseMelFilterbank {
  const dense = melFilterbankDense(o);
  const nBins = Math.floor(o.nFft / 2) + 1;
  const start = new Int32Array(o.nMels);
  const weights: Float64Array[] = [];
  dense.forEach((row, m) => {
    let first = 0;
    while (first < nBins && row[first] === 0) first++;
    let last = nBins - 1;
    while (last >= first && row[last] === 0) last--;
    start[m] = first;
    weights.push(row.slice(first, last + 1));
  });
  const offset = new Int32Array(o.nMels + 1);
  weights.forEach((w, m) => (offset[m + 1] = offset[m] + w.length));
  const flat = new Float64Array(offset[o.nMels]);
  weights.forEach((w, m) => flat.set(w, offset[m]));
  return { nMels: o.nMels, nBins, start, weights, flat, offset };
}
