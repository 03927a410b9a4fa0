/**
 * Chroma filterbank exactly as librosa.filters.chroma (0.10) with its chroma_stft defaults
 * (ctroct 5, octwidth 2, norm 2, base_c, float32 weights): Gaussian bumps around each FFT bin's
 * pitch class, columns L2-normalised, weighted by a Gaussian over octaves centred at C5, rows
 * rolled so row 0 is C. `tuning` is in fractions of a chroma bin (0 = A440); a stream cannot
 * estimate it from the whole signal as chroma_stft does by default, so the extractor fixes it at 0.
 * Hand-written: librosa-exact and on the feature hot path (BENCHMARKS.md, `npm run bench -- audio-features` against librosa).
 */
export interface ChromaFilterbank {
  nChroma: number;
  nBins: number;
  /** weights[c * nBins + k]: chroma c, FFT bin k. */
  weights: Float64Array;
}

const CENTRE_OCTAVE = 5;
const OCTAVE_WIDTH = 2;

export function chromaFilterbank(sampleRate: number, nFft: number, nChroma = 12, tuning = 0): ChromaFilterbank {
  const a440 = 440 * 2 ** (tuning / nChroma);
  // Pitch (in chroma bins) of every FFT bin but DC; DC gets 1.5 octaves below bin 1.
  const frqbins = new Float64Array(nFft);
  for (let k = 1; k < nFft; k++) frqbins[k] = nChroma * Math.log2((k * sampleRate) / nFft / (a440 / 16));
  frqbins[0] = frqbins[1] - 1.5 * nChroma;
  const binWidth = new Float64Array(nFft);
  for (let k = 0; k < nFft - 1; k++) binWidth[k] = Math.max(frqbins[k + 1] - frqbins[k], 1);
  binWidth[nFft - 1] = 1;
  const half = Math.round(nChroma / 2);
  const full = new Float64Array(nChroma * nFft);
  for (let k = 0; k < nFft; k++) {
    let norm = 0;
    for (let c = 0; c < nChroma; c++) {
      const shifted = frqbins[k] - c + half + 10 * nChroma;
      const d = shifted - nChroma * Math.floor(shifted / nChroma) - half;
      const w = Math.exp(-0.5 * ((2 * d) / binWidth[k]) ** 2);
      full[c * nFft + k] = w;
      norm += w * w;
    }
    norm = Math.sqrt(norm);
    const octaveWeight = Math.exp(-0.5 * ((frqbins[k] / nChroma - CENTRE_OCTAVE) / OCTAVE_WIDTH) ** 2);
    for (let c = 0; c < nChroma; c++) full[c * nFft + k] = (norm > 0 ? full[c * nFft + k] / norm : full[c * nFft + k]) * octaveWeight;
  }
  const nBins = nFft / 2 + 1;
  const roll = 3 * Math.floor(nChroma / 12);
  const weights = new Float64Array(nChroma * nBins);
  for (let c = 0; c < nChroma; c++) {
    const from = (c + roll) % nChroma;
    for (let k = 0; k < nBins; k++) weights[c * nBins + k] = Math.fround(full[from * nFft + k]);
  }
  return { nChroma, nBins, weights };
}
