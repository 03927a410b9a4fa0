import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';
import { featureLayout } from '../../src/features/audio/feature-layout.js';
import { FrameAnalyzer } from '../../src/features/audio/frame-analyzer.js';
import { framePlan } from '../../src/features/audio/frame-plan.js';
import { extractFile, int16ToFloat64, parseAudioFeatureSettings } from '../../src/features/audio/index.js';

/** librosa chroma_stft / spectral_contrast / spectral_rolloff written by scripts/fixtures/audio_spectral_fixtures.py. */
const fixture = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'audio-spectral.json'), 'utf8')) as Record<string, unknown> & {
  frames: number;
  int16Base64: string;
};
const pcm = (() => {
  const b = Buffer.from(fixture.int16Base64, 'base64');
  return Int16Array.from({ length: b.length / 2 }, (_, i) => b.readInt16LE(2 * i));
})();
const reference = (key: string): Float32Array => {
  const b = Buffer.from(fixture[key] as string, 'base64');
  return Float32Array.from({ length: b.length / 4 }, (_, i) => b.readFloatLE(4 * i));
};

const settings = parseAudioFeatureSettings({
  sampleRate: 16000,
  frameLength: 400,
  hopLength: 160,
  nFft: 512,
  deltaOrder: 0,
  windowSeconds: 0.5,
  windowHopSeconds: 0.5,
  minFinalWindowSeconds: 0.5,
  features: { logMel: false, mfcc: false, rms: false, zcr: false, spectralContrast: true, chroma: true },
  normalization: { kind: 'none' },
});

/** Each frame of the fixture signal through the streaming code's frame analyser. */
function analyse(name: 'chroma' | 'spectralContrast' | 'spectralRolloff' | 'spectrumDb'): { width: number; values: Float64Array } {
  const plan = framePlan(settings);
  const analyzer = new FrameAnalyzer(plan, [name]);
  const samples = int16ToFloat64(pcm);
  const values = new Float64Array(fixture.frames * analyzer.recordWidth);
  for (let f = 0; f < fixture.frames; f++) analyzer.analyze(samples, f * plan.hopLength, values, f * analyzer.recordWidth);
  return { width: analyzer.recordWidth, values };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('chroma, spectral contrast and roll-off against librosa', () => {
  it('the fixture signal has the expected number of center=False frames', () => {
    expect(fixture.frames).toBe(Math.floor((pcm.length - 512) / 160) + 1);
  });

  it('chroma = librosa.feature.chroma_stft(S=|X|^2, tuning=0)', () => {
    const { width, values } = analyse('chroma');
    expect(width).toBe(12);
    const ref = reference('chroma');
    expect(maxAbsDiff(values, ref)).toBeLessThan(1e-5);
    // norm=inf: every frame's largest chroma is 1
    for (let f = 0; f < fixture.frames; f++) expect(Math.max(...values.subarray(f * 12, (f + 1) * 12))).toBeCloseTo(1, 12);
  });

  it('spectral contrast = librosa.feature.spectral_contrast(S=|X|) (7 bands, dB)', () => {
    const { width, values } = analyse('spectralContrast');
    expect(width).toBe(7);
    expect(maxAbsDiff(values, reference('spectralContrast'))).toBeLessThan(2e-3);
  });

  it('spectral roll-off = librosa.feature.spectral_rolloff(S=|X|) (Hz)', () => {
    const { values } = analyse('spectralRolloff');
    expect(maxAbsDiff(values, reference('spectralRolloff'))).toBeLessThan(1e-3);
    expect(new Set(values).size).toBeGreaterThan(3); // the glide and the burst move it
  });

  it('spectrum dB = librosa.power_to_db(|X|^2, top_db=None)', () => {
    const { width, values } = analyse('spectrumDb');
    expect(width).toBe(257);
    expect(maxAbsDiff(values, reference('spectrumDb'))).toBeLessThan(2e-3);
  });

  it('the streaming extractor puts contrast then chroma in its window rows, named by featureLayout', () => {
    expect(featureLayout(settings)).toEqual([...Array.from({ length: 7 }, (_, b) => `contrast_${b}`), ...Array.from({ length: 12 }, (_, c) => `chroma_${c}`)]);
    const windows = extractFile(pcm, settings);
    expect(windows.length).toBeGreaterThan(0);
    const contrast = reference('spectralContrast');
    const chroma = reference('chroma');
    const w = windows[0];
    expect(w.nFeatures).toBe(19);
    let max = 0;
    for (let f = 0; f < w.framesPerWindow; f++) {
      for (let b = 0; b < 7; b++) max = Math.max(max, Math.abs(w.features[f * 19 + b] - contrast[f * 7 + b]));
      for (let c = 0; c < 12; c++) max = Math.max(max, Math.abs(w.features[f * 19 + 7 + c] - chroma[f * 12 + c]));
    }
    expect(max).toBeLessThan(2e-3);
  });
});
