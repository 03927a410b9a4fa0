import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { requireDataPath } from '../../src/core/paths.js';
import type { AudioFeatureSettingsInput } from '../../src/features/audio/settings.js';
import { StreamingFeatureExtractor, type FeatureWindow } from '../../src/features/audio/streaming-extractor.js';
import { loadWavFile } from '../../src/features/audio/wav.js';

/** Deterministic uniform [0, 1) generator (LCG) for test signals and chunk sizes. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
}

/** Gaussian white noise with the given RMS level in dBFS. */
export function whiteNoise(samples: number, levelDb: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  const std = 10 ** (levelDb / 20);
  const out = new Float32Array(samples);
  for (let i = 0; i < samples; i++) out[i] = std * Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
  return out;
}

/** Real RAVDESS clips (16 kHz mono Int16) by actor folder, first `count` files in name order. */
export function ravdessClips(actor: string, count: number): { name: string; pcm: Int16Array }[] {
  const dir = requireDataPath(join('ravdess', actor), `RAVDESS ${actor}`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .slice(0, count)
    .map((f) => {
      const wav = loadWavFile(join(dir, f));
      if (wav.sampleRate !== 16000 || wav.channels !== 1) throw new Error(`${f}: expected 16 kHz mono, got ${wav.sampleRate} Hz x${wav.channels}`);
      return { name: f, pcm: wav.pcm };
    });
}

/** Every window of `pcm` pushed through one extractor in chunks of 1..maxChunk samples drawn from `rnd`, then flushed. */
export function pushInRandomChunks(pcm: Int16Array | Float32Array, settings: AudioFeatureSettingsInput, rnd: () => number, maxChunk: number): FeatureWindow[] {
  const extractor = new StreamingFeatureExtractor(settings);
  const windows: FeatureWindow[] = [];
  for (let at = 0; at < pcm.length; ) {
    const size = 1 + Math.floor(rnd() * maxChunk);
    windows.push(...extractor.push(pcm.subarray(at, at + size)));
    at += size;
  }
  windows.push(...extractor.flush());
  return windows;
}
