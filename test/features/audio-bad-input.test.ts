import { describe, expect, it } from 'vitest';
import { StreamingFeatureExtractor } from '../../src/features/audio/streaming-extractor.js';
import {
  assertReproducible,
  parseAudioFeatureSettings,
  type AudioFeatureSettings,
} from '../../src/features/audio/settings.js';
import { featureLayout } from '../../src/features/audio/feature-layout.js';
import { whiteNoise } from './audio-test-signals.js';

describe('bad input', () => {
  it('empty pushes are no-ops', () => {
    const extractor = new StreamingFeatureExtractor();
    expect(extractor.push(new Int16Array(0))).toEqual([]);
    expect(extractor.push(new Float32Array(0))).toEqual([]);
    expect(extractor.frameCount).toBe(0);
    expect(extractor.flush()).toEqual([]);
  });

  it('NaN or infinite samples are refused with the sample index, and the stream is unchanged', () => {
    const extractor = new StreamingFeatureExtractor();
    const good = whiteNoise(4000, -30, 1);
    extractor.push(good);
    const framesBefore = extractor.frameCount;
    const bad = whiteNoise(4000, -30, 2);
    bad[1234] = Number.NaN;
    expect(() => extractor.push(bad)).toThrow(/sample 1234 is NaN/);
    bad[1234] = Number.POSITIVE_INFINITY;
    expect(() => extractor.push(bad)).toThrow(/sample 1234 is Infinity/);
    expect(extractor.frameCount).toBe(framesBefore);
    // the stream goes on as if the bad chunk never came
    const reference = new StreamingFeatureExtractor();
    const all = new Float32Array(8000 * 8);
    for (let i = 0; i < all.length; i++) all[i] = good[i % 4000];
    const a = [...reference.push(all), ...reference.flush()];
    const b = [...extractor.push(all.subarray(4000)), ...extractor.flush()];
    expect(b.map((w) => Array.from(w.features.subarray(0, 50)))).toEqual(a.map((w) => Array.from(w.features.subarray(0, 50))));
  });

  it('wrong types are refused with a message naming the type', () => {
    const extractor = new StreamingFeatureExtractor();
    const push = (x: unknown) => extractor.push(x as Int16Array);
    expect(() => push([1, 2, 3])).toThrow(/Int16Array or Float32Array.*got Array/);
    expect(() => push(Buffer.alloc(10))).toThrow(/got Buffer/);
    expect(() => push(new Float64Array(10))).toThrow(/got Float64Array/);
    expect(() => push(null)).toThrow(/got null/);
    expect(() => push('pcm')).toThrow(/got string/);
  });
});

describe('settings', () => {
  it('defaults follow librosa and the brief', () => {
    const s = parseAudioFeatureSettings();
    expect(s).toMatchObject({
      sampleRate: 16000,
      frameLength: 400,
      hopLength: 160,
      nFft: 512,
      window: 'hann',
      nMels: 40,
      fMin: 0,
      fMax: null,
      melScale: 'slaney',
      melNorm: 'slaney',
      power: 2,
      topDb: null,
      nMfcc: 40,
      deltaOrder: 2,
      deltaWidth: 9,
      windowSeconds: 3,
      windowHopSeconds: 0.5,
    });
    const sizes = assertReproducible(s);
    expect(sizes).toMatchObject({ fMax: 8000, framesPerWindow: 300, framesPerWindowHop: 50, nFeatures: 122 });
    expect(featureLayout(s)).toHaveLength(122);
    expect(featureLayout(s).slice(-3)).toEqual(['delta2_mfcc_39', 'rms', 'zcr']);
  });

  it('survives a JSON round trip (the model manifest stores it)', () => {
    const s = parseAudioFeatureSettings({ topDb: 80, nMels: 64, nMfcc: 20 });
    expect(parseAudioFeatureSettings(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it('schema errors name the field', () => {
    expect(() => parseAudioFeatureSettings({ nMels: -3 })).toThrow(/nMels/);
    expect(() => parseAudioFeatureSettings({ window: 'blackman' as 'hann' })).toThrow(/window/);
    expect(() => parseAudioFeatureSettings({ unknownField: 1 } as object)).toThrow(/unknownField|Unrecognized/);
  });

  const refused: [string, Partial<AudioFeatureSettings>, RegExp][] = [
    ['non power-of-two nFft', { nFft: 500, frameLength: 400 }, /nFft=500 must be a power of two/],
    ['window longer than the FFT', { frameLength: 600 }, /frameLength=600 must not exceed nFft=512/],
    ['fMax above Nyquist', { fMax: 9000 }, /fMax=9000 exceeds the Nyquist/],
    ['more MFCCs than mel bands', { nMfcc: 50 }, /nMfcc=50 must not exceed nMels=40/],
    ['even delta width', { deltaWidth: 8 }, /deltaWidth=8 must be odd/],
    ['window not a whole number of hops', { windowSeconds: 3.005 }, /windowSeconds=3.005 must be a whole number/],
    ['spectral contrast whose top band passes Nyquist', { sampleRate: 8000, features: { logMel: false, mfcc: true, rms: true, zcr: true, spectralContrast: true, chroma: false } }, /spectralContrast needs a sample rate above 12800/],
    ['chroma on a tiny FFT', { nFft: 32, frameLength: 32, nMels: 8, nMfcc: 8, features: { logMel: false, mfcc: true, rms: true, zcr: true, spectralContrast: false, chroma: true } }, /chroma needs nFft >= 64/],
    ['global stats of the wrong length', { normalization: { kind: 'global', mean: [0], std: [1] } }, /needs 122 means and stds/],
  ];
  for (const [label, override, message] of refused) {
    it(`assertReproducible refuses ${label}`, () => {
      const s = { ...parseAudioFeatureSettings(), ...override } as AudioFeatureSettings;
      expect(() => assertReproducible(s)).toThrow(message);
      expect(() => new StreamingFeatureExtractor(s)).toThrow(/cannot be reproduced/);
    });
  }

  it('global normalisation uses the stored mean and std', () => {
    const base = parseAudioFeatureSettings({ deltaOrder: 0, nMfcc: 13, features: { rms: false, zcr: false } });
    const x = whiteNoise(3.5 * 16000, -30, 8);
    const plain = new StreamingFeatureExtractor({ ...base, normalization: { kind: 'none' } }).push(x)[0];
    const mean = Array.from({ length: 13 }, (_, i) => i - 6);
    const std = Array.from({ length: 13 }, (_, i) => 1 + i);
    const normed = new StreamingFeatureExtractor({ ...base, normalization: { kind: 'global', mean, std } }).push(x)[0];
    for (let i = 0; i < normed.features.length; i++) {
      const c = i % 13;
      expect(normed.features[i]).toBeCloseTo((plain.features[i] - mean[c]) / std[c], 3);
    }
  });
});
