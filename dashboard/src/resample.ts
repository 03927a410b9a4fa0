/**
 * Streaming resampler from the browser's capture rate (44.1/48 kHz) to 16 kHz Int16 for the
 * emotion pipeline: a windowed-sinc low-pass (cut-off just under the new Nyquist frequency) so
 * that content above 8 kHz does not fold back, then linear interpolation at the output instants.
 * State carries across calls, so chunk boundaries leave no seams.
 */
export class Downsampler {
  private readonly taps: Float32Array;
  private readonly half: number;
  /** Filter input history (the last taps-1 samples) followed by new input. */
  private history: Float32Array;
  /** Position of the next output sample, in input samples, relative to the start of `filtered`. */
  private nextPos = 0;
  private prevFiltered = 0;
  private readonly step: number;

  constructor(
    readonly inRate: number,
    readonly outRate = 16000,
    tapCount = 63,
  ) {
    if (!(inRate > 0) || !(outRate > 0) || outRate > inRate) throw new Error(`cannot resample ${inRate} Hz to ${outRate} Hz (down-sampling only)`);
    this.step = inRate / outRate;
    const n = tapCount | 1;
    this.half = (n - 1) / 2;
    const cutoff = (0.45 * outRate) / inRate; // cycles per input sample
    const taps = new Float32Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = i - this.half;
      const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
      const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (n - 1)); // Blackman
      taps[i] = sinc * w;
      sum += taps[i];
    }
    for (let i = 0; i < n; i++) taps[i] /= sum;
    this.taps = taps;
    this.history = new Float32Array(n - 1);
  }

  /** Feeds Float32 samples in [-1, 1]; returns the 16 kHz samples they complete, as Int16. */
  push(input: Float32Array): Int16Array {
    const n = this.taps.length;
    const buf = new Float32Array(this.history.length + input.length);
    buf.set(this.history);
    buf.set(input, this.history.length);
    // filtered[k] is the low-passed value centred on input sample k of this call.
    const filtered = new Float32Array(input.length);
    for (let k = 0; k < input.length; k++) {
      let acc = 0;
      for (let t = 0; t < n; t++) acc += this.taps[t] * buf[k + t];
      filtered[k] = acc;
    }
    this.history = buf.slice(buf.length - (n - 1));
    const out: number[] = [];
    const last = input.length - 1;
    // Output instants lie in [-1, last): position -1 is the last filtered sample of the previous call.
    while (this.nextPos < last) {
      const i0 = Math.floor(this.nextPos);
      const frac = this.nextPos - i0;
      const a = i0 < 0 ? this.prevFiltered : filtered[i0];
      const v = a + (filtered[i0 + 1] - a) * frac;
      out.push(Math.max(-32768, Math.min(32767, Math.round(v * 32767))));
      this.nextPos += this.step;
    }
    if (input.length > 0) {
      this.prevFiltered = filtered[last];
      this.nextPos -= input.length;
    }
    return Int16Array.from(out);
  }
}
