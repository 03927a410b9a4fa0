import { PIPELINE_SAMPLE_RATE } from '../../core/audio-format.js';
/**
 * Waveform and feature-window augmentations for speech training. All take a seeded random
 * source (`rng(): number` in [0, 1)) so a run is reproducible.
 */
export type Rng = () => number;

export interface WaveAugmentOptions {
  /** Max time shift either way, seconds (the clip is padded with silence / cropped). Default 0.25. */
  maxShiftSec?: number;
  /** Additive noise SNR range in dB (white-ish Gaussian noise). Default [10, 30]. */
  snrDb?: [number, number];
  /** Speed factor range (resampling: tempo and pitch change together). Default [0.9, 1.1]. */
  speed?: [number, number];
  sampleRate?: number;
}

function gaussian(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

function clip16(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : Math.round(x);
}

/** Shifts by `shift` samples: positive delays (silence in front), negative advances (front cut). Same length. */
export function timeShift(pcm: Int16Array, shift: number): Int16Array {
  const out = new Int16Array(pcm.length);
  if (shift >= 0) out.set(pcm.subarray(0, Math.max(0, pcm.length - shift)), shift);
  else out.set(pcm.subarray(-shift));
  return out;
}

/** Adds Gaussian noise at the given signal-to-noise ratio (dB) relative to the clip's RMS. */
export function addNoise(pcm: Int16Array, snrDb: number, rng: Rng): Int16Array {
  let power = 0;
  for (let i = 0; i < pcm.length; i++) power += pcm[i] * pcm[i];
  power /= Math.max(1, pcm.length);
  const sigma = Math.sqrt(power / 10 ** (snrDb / 10));
  const out = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = clip16(pcm[i] + sigma * gaussian(rng));
  return out;
}

/** Speed perturbation by linear-interpolation resampling: factor > 1 is faster and higher. */
export function changeSpeed(pcm: Int16Array, factor: number): Int16Array {
  if (!(factor > 0)) throw new Error(`speed factor must be > 0, got ${factor}`);
  const n = Math.max(1, Math.floor(pcm.length / factor));
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const x = i * factor;
    const i0 = Math.floor(x);
    const f = x - i0;
    const a = pcm[Math.min(i0, pcm.length - 1)];
    const b = pcm[Math.min(i0 + 1, pcm.length - 1)];
    out[i] = clip16(a + (b - a) * f);
  }
  return out;
}

/** One random waveform augmentation: speed perturbation, then time shift, then noise. */
export function augmentWaveform(pcm: Int16Array, rng: Rng, o: WaveAugmentOptions = {}): Int16Array {
  const sr = o.sampleRate ?? PIPELINE_SAMPLE_RATE;
  const [s0, s1] = o.speed ?? [0.9, 1.1];
  const [n0, n1] = o.snrDb ?? [10, 30];
  const maxShift = Math.round((o.maxShiftSec ?? 0.25) * sr);
  let out = changeSpeed(pcm, s0 + (s1 - s0) * rng());
  out = timeShift(out, Math.round((2 * rng() - 1) * maxShift));
  return addNoise(out, n0 + (n1 - n0) * rng(), rng);
}

export interface SpecAugmentOptions {
  /** Number of time masks and their max width in frames. Default 2 x 10. */
  timeMasks?: number;
  maxTimeWidth?: number;
  /** Number of feature (frequency) masks and their max width. Default 2 x 5. */
  freqMasks?: number;
  maxFreqWidth?: number;
  /** Value written into masked cells (default 0 = the mean after normalisation). */
  fill?: number;
}

/** SpecAugment-style masking of one [frames, features] window, in place. */
export function specAugment(window: Float32Array, frames: number, features: number, rng: Rng, o: SpecAugmentOptions = {}): void {
  const fill = o.fill ?? 0;
  for (let m = 0; m < (o.timeMasks ?? 2); m++) {
    const w = Math.floor(rng() * ((o.maxTimeWidth ?? 10) + 1));
    const t0 = Math.floor(rng() * Math.max(1, frames - w));
    for (let t = t0; t < Math.min(frames, t0 + w); t++) window.fill(fill, t * features, (t + 1) * features);
  }
  for (let m = 0; m < (o.freqMasks ?? 2); m++) {
    const w = Math.floor(rng() * ((o.maxFreqWidth ?? 5) + 1));
    const f0 = Math.floor(rng() * Math.max(1, features - w));
    for (let t = 0; t < frames; t++) for (let f = f0; f < Math.min(features, f0 + w); f++) window[t * features + f] = fill;
  }
}
