/**
 * Periodic analysis window of `frameLength` samples (scipy.signal.get_window(name, N, fftbins=True),
 * which librosa uses), zero-padded to `nFft` with the window centred (librosa.util.pad_center:
 * floor((nFft - frameLength) / 2) zeros on the left).
 */
export function paddedPeriodicWindow(kind: 'hann' | 'hamming', frameLength: number, nFft: number): Float64Array {
  if (frameLength > nFft) throw new Error(`window length ${frameLength} exceeds nFft ${nFft}`);
  const out = new Float64Array(nFft);
  const left = Math.floor((nFft - frameLength) / 2);
  const alpha = kind === 'hann' ? 0.5 : 0.54;
  for (let n = 0; n < frameLength; n++) {
    out[left + n] = alpha - (1 - alpha) * Math.cos((2 * Math.PI * n) / frameLength);
  }
  return out;
}

/** First sample of the analysis window inside an nFft-long frame. */
export function windowOffset(frameLength: number, nFft: number): number {
  return Math.floor((nFft - frameLength) / 2);
}
