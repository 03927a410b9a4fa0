/**
 * AudioWorklet processor source (loaded from a Blob URL, so it needs no separate bundle entry). It runs in
 * an AudioContext at the pipeline rate, so its input is already resampled by the browser's Web Audio
 * engine; it only encodes channel 0 as Int16 little-endian PCM and posts one ArrayBuffer of
 * `processorOptions.chunkSamples` samples at a time (transferred, not copied) to the main thread.
 */
export const PCM_WORKLET_NAME = 'pcm-int16le';

export const PCM_WORKLET_SOURCE = `
class PcmInt16Encoder extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.chunkSamples = options.processorOptions.chunkSamples;
    this.fresh();
  }
  fresh() {
    this.bytes = new ArrayBuffer(this.chunkSamples * 2);
    this.view = new DataView(this.bytes);
    this.n = 0;
  }
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (ch) {
      for (let i = 0; i < ch.length; i++) {
        const v = ch[i] > 1 ? 1 : ch[i] < -1 ? -1 : ch[i];
        this.view.setInt16(this.n * 2, Math.round(v * 32767), true);
        if (++this.n === this.chunkSamples) {
          this.port.postMessage(this.bytes, [this.bytes]);
          this.fresh();
        }
      }
    }
    return true;
  }
}
registerProcessor('${PCM_WORKLET_NAME}', PcmInt16Encoder);
`;
