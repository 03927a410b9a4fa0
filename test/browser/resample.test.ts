import { describe, expect, it } from 'vitest';
import { Downsampler } from '../../dashboard/src/resample.js';

function tone(freq: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  const x = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < x.length; i++) x[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return x;
}

function rms(x: Int16Array, skip = 200): number {
  let s = 0;
  for (let i = skip; i < x.length - skip; i++) s += (x[i] / 32767) ** 2;
  return Math.sqrt(s / (x.length - 2 * skip));
}

/** Feeds a signal in uneven blocks, as the AudioWorklet does. */
function run(d: Downsampler, x: Float32Array, blocks = [128, 2048, 37, 1000]): Int16Array {
  const out: number[] = [];
  let i = 0;
  let b = 0;
  while (i < x.length) {
    const n = blocks[b++ % blocks.length];
    out.push(...d.push(x.subarray(i, i + n)));
    i += n;
  }
  return Int16Array.from(out);
}

describe('browser microphone resampler', () => {
  it.each([48000, 44100])('turns %i Hz into 16 kHz with the right length and keeps speech-band tones', (rate) => {
    const y = run(new Downsampler(rate, 16000), tone(1000, rate, 2));
    expect(Math.abs(y.length - 32000)).toBeLessThanOrEqual(2);
    expect(rms(y)).toBeCloseTo(0.5 / Math.SQRT2, 2);
    // Past the filter's start-up, the output is a clean 1 kHz tone at 16 kHz: 16 samples per period.
    let crossings = 0;
    for (let i = 1601; i < 30400; i++) if (y[i - 1] < 0 && y[i] >= 0) crossings++;
    expect(Math.abs(crossings - 1800)).toBeLessThanOrEqual(1);
  });

  it('suppresses content above the new Nyquist frequency instead of folding it back', () => {
    const y = run(new Downsampler(48000, 16000), tone(12000, 48000, 1));
    expect(20 * Math.log10(rms(y) / (0.5 / Math.SQRT2))).toBeLessThan(-40);
  });

  it('refuses up-sampling', () => {
    expect(() => new Downsampler(8000, 16000)).toThrow(/down-sampling only/);
  });
});
