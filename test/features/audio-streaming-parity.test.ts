import { describe, expect, it, vi } from 'vitest';
import { FrameAnalyzer } from '../../src/features/audio/frame-analyzer.js';
import { int16ToFloat32 } from '../../src/features/audio/pcm.js';
import {
  extractFile,
  StreamingFeatureExtractor,
  type FeatureWindow,
} from '../../src/features/audio/streaming-extractor.js';
import type { AudioFeatureSettingsInput } from '../../src/features/audio/settings.js';
import { pushInRandomChunks, ravdessClips, seededRandom } from './audio-test-signals.js';

function expectIdentical(a: FeatureWindow[], b: FeatureWindow[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((w, i) => {
    const { features, ...meta } = w;
    const { features: otherFeatures, ...otherMeta } = b[i];
    expect(meta).toEqual(otherMeta);
    expect(Buffer.from(features.buffer).equals(Buffer.from(otherFeatures.buffer))).toBe(true);
  });
}

const [clip] = ravdessClips('Actor_03', 1);
const frameCount = 1 + Math.floor((clip.pcm.length - 512) / 160);

describe('streaming == batch', () => {
  const configs: [string, AudioFeatureSettingsInput][] = [
    ['defaults (MFCC + deltas + rms + zcr, per-window CMVN)', {}],
    [
      'log-mel + MFCC, top_db 80, 1 s windows, 0.3 s hop, no normalisation',
      {
        features: { logMel: true, mfcc: true },
        topDb: 80,
        windowSeconds: 1,
        windowHopSeconds: 0.3,
        normalization: { kind: 'none' },
      },
    ],
  ];
  for (const [label, settings] of configs) {
    it(`random chunks of 1..4000 samples give bitwise the same windows: ${label}`, () => {
      const batch = extractFile(clip.pcm, settings);
      expect(batch.length).toBeGreaterThan(1);
      for (const seed of [1, 2, 3]) expectIdentical(pushInRandomChunks(clip.pcm, settings, seededRandom(seed), 4000), batch);
    });
  }

  it('Float32 input gives the same windows as Int16 input', () => {
    expectIdentical(extractFile(int16ToFloat32(clip.pcm)), extractFile(clip.pcm));
  });

  it('computes each frame exactly once', () => {
    const spy = vi.spyOn(FrameAnalyzer.prototype, 'analyze');
    try {
      const windows = pushInRandomChunks(clip.pcm, {}, seededRandom(9), 4000);
      expect(spy).toHaveBeenCalledTimes(frameCount);
      expect(windows.length).toBeGreaterThan(0);
    } finally {
      spy.mockRestore();
    }
  });

  it('schedules windows every hop, then one end-aligned final window', () => {
    const extractor = new StreamingFeatureExtractor();
    const windows = [...extractor.push(clip.pcm), ...extractor.flush()];
    const { framesPerWindow } = extractor;
    expect(framesPerWindow).toBe(300);
    expect(extractor.nFeatures).toBe(3 * 40 + 2);
    const regular = windows.filter((w) => !w.final);
    regular.forEach((w, k) => {
      expect(w.startFrame).toBe(50 * k);
      expect(w.validFrames).toBe(framesPerWindow);
      expect(w.startSec).toBeCloseTo(0.5 * k, 9);
      expect(w.endSec).toBeCloseTo(0.5 * k + (299 * 160 + 512) / 16000, 9);
      expect(w.features.length).toBe(framesPerWindow * extractor.nFeatures);
    });
    const last = windows[windows.length - 1];
    expect(last.final).toBe(true);
    expect(last.startFrame).toBe(frameCount - framesPerWindow);
    expect(windows.map((w) => w.index)).toEqual(windows.map((_, i) => i));
  });

  it('per-window CMVN: every feature column has mean 0 and std 1 (or 0 for constant columns)', () => {
    const [w] = extractFile(clip.pcm);
    const n = w.nFeatures;
    for (let c = 0; c < n; c++) {
      let mean = 0;
      let sq = 0;
      for (let r = 0; r < w.validFrames; r++) mean += w.features[r * n + c];
      mean /= w.validFrames;
      for (let r = 0; r < w.validFrames; r++) sq += (w.features[r * n + c] - mean) ** 2;
      expect(Math.abs(mean)).toBeLessThan(1e-4);
      expect(Math.sqrt(sq / w.validFrames)).toBeCloseTo(1, 3);
    }
  });

  it('a stream shorter than one window gives one zero-padded window when it has >= minFinalWindowSeconds', () => {
    const twoSeconds = clip.pcm.subarray(8000, 8000 + 32000);
    const windows = extractFile(twoSeconds);
    expect(windows).toHaveLength(1);
    const [w] = windows;
    const valid = 1 + Math.floor((32000 - 512) / 160);
    expect(w.final).toBe(true);
    expect(w.validFrames).toBe(valid);
    expect(w.features.length).toBe(300 * w.nFeatures);
    expect(w.features.subarray(valid * w.nFeatures).every((v) => v === 0)).toBe(true);
    expect(w.features.subarray(0, valid * w.nFeatures).some((v) => v !== 0)).toBe(true);
    expect(w.endSec).toBeCloseTo(((valid - 1) * 160 + 512) / 16000, 9);
  });

  it('a stream shorter than minFinalWindowSeconds gives no window', () => {
    expect(extractFile(clip.pcm.subarray(0, 15000))).toEqual([]);
  });

  it('reset() starts a new stream; push after flush without reset throws', () => {
    const extractor = new StreamingFeatureExtractor();
    const first = [...extractor.push(clip.pcm), ...extractor.flush()];
    expect(() => extractor.push(clip.pcm)).toThrow(/already flushed/);
    extractor.reset();
    expectIdentical([...extractor.push(clip.pcm), ...extractor.flush()], first);
  });
});
