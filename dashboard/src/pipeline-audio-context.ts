import { PIPELINE_SAMPLE_RATE } from '../../src/core/audio-format.js';

/**
 * An AudioContext running at the pipeline's sample rate (src/core/audio-format.ts), so that the browser's
 * own Web Audio resampler converts the microphone's device rate to it. A browser that refuses the rate, or
 * silently runs at another one, gets a one-line error instead: the pipeline never sees audio at a wrong rate.
 */
export function pipelineAudioContext(): AudioContext {
  let ctx: AudioContext;
  try {
    ctx = new AudioContext({ sampleRate: PIPELINE_SAMPLE_RATE });
  } catch (e) {
    const err = e as Error;
    throw new Error(`this browser cannot run Web Audio at ${PIPELINE_SAMPLE_RATE} Hz (${err.name}: ${err.message}), so it cannot resample the microphone for the pipeline`);
  }
  if (ctx.sampleRate !== PIPELINE_SAMPLE_RATE) {
    const actual = ctx.sampleRate;
    void ctx.close();
    throw new Error(`this browser runs Web Audio at ${actual} Hz although ${PIPELINE_SAMPLE_RATE} Hz was asked for; the microphone is not sent`);
  }
  return ctx;
}
