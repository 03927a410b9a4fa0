/**
 * Octave sub-bands of librosa.feature.spectral_contrast (0.10; fmin 200 Hz, 6 bands + the band
 * below fmin): which FFT bins each band sorts, and how many of its smallest / largest values
 * are averaged into the valley / peak (round(quantile * bins in the band), at least 1).
 */
export interface ContrastBand {
  /** FFT bins sorted for this band (contiguous). */
  first: number;
  count: number;
  /** Values averaged at each end of the sorted band. */
  take: number;
}

export function contrastBands(sampleRate: number, nFft: number, fMin = 200, nBands = 6, quantile = 0.02): ContrastBand[] {
  const nBins = nFft / 2 + 1;
  const freq = (k: number) => (k * sampleRate) / nFft;
  const edges = [0, ...Array.from({ length: nBands + 1 }, (_, i) => fMin * 2 ** i)];
  if (edges.slice(0, -1).some((f) => f >= sampleRate / 2)) {
    throw new Error(`spectral contrast: fMin ${fMin} Hz with ${nBands} bands reaches the Nyquist frequency ${sampleRate / 2} Hz`);
  }
  const bands: ContrastBand[] = [];
  for (let b = 0; b <= nBands; b++) {
    const [low, high] = [edges[b], edges[b + 1]];
    let first = -1;
    let last = -1;
    for (let k = 0; k < nBins; k++) {
      if (freq(k) >= low && freq(k) <= high) {
        if (first < 0) first = k;
        last = k;
      }
    }
    if (first < 0) throw new Error(`spectral contrast: band ${low}-${high} Hz holds no FFT bin (nFft ${nFft} too small)`);
    if (b > 0) first -= 1; // librosa adds the bin below the band
    if (b === nBands) last = nBins - 1; // ... and everything above the last one
    const selected = last - first + 1;
    const count = b < nBands ? selected - 1 : selected; // librosa drops the top bin of all but the last band
    const take = Math.max(1, roundHalfEven(quantile * selected));
    bands.push({ first, count, take });
  }
  return bands;
}

/** numpy.rint: nearest integer, ties to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
