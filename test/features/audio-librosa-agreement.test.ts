import { describe, expect, it } from 'vitest';
import { FrameAnalyzer } from '../../src/features/audio/frame-analyzer.js';
import { framePlan } from '../../src/features/audio/frame-plan.js';
import { int16ToFloat64 } from '../../src/features/audio/pcm.js';
import { parseAudioFeatureSettings } from '../../src/features/audio/settings.js';
import { StreamingFeatureExtractor } from '../../src/features/audio/streaming-extractor.js';
import { loadAudioFeatureFixture, type FixtureSignal } from './audio-fixture.js';

// The librosa reference is computed in float64 and stored as float32, so these bounds are set by the
// float32 storage (relative 6e-8; -457 dB has a float32 ulp of 3e-5), not by our arithmetic.
const MEL_RELATIVE = 1e-6;
const DB_ABSOLUTE = 1e-4;
const MFCC_ABSOLUTE = 1e-4;
const DELTA_ABSOLUTE = 1e-5;

const fixture = loadAudioFeatureFixture();
const N_MELS = fixture.settings.nMels;
const N_MFCC = fixture.settings.nMfcc;

function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let max = 0;
  for (let i = 0; i < actual.length; i++) max = Math.max(max, Math.abs(actual[i] - expected[i]));
  return max;
}

function maxRelDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let max = 0;
  for (let i = 0; i < actual.length; i++) {
    max = Math.max(max, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), 1e-30));
  }
  return max;
}

/** Frame-level features straight from the analyzer, as [frame][coefficient] arrays. */
function analyzeFrames(sig: FixtureSignal, overrides: Parameters<typeof parseAudioFeatureSettings>[0] = {}) {
  const settings = parseAudioFeatureSettings(overrides);
  const analyzer = new FrameAnalyzer(framePlan(settings), ['logMel', 'mfcc', 'rms', 'zcr']);
  const x = int16ToFloat64(sig.pcm);
  const record = new Float64Array(analyzer.recordWidth);
  const out = {
    melPower: new Float64Array(sig.frames * N_MELS),
    logMelDb: new Float64Array(sig.frames * N_MELS),
    mfcc: new Float64Array(sig.frames * N_MFCC),
    rms: new Float64Array(sig.frames),
    zcr: new Float64Array(sig.frames),
  };
  const L = analyzer.layout;
  for (let f = 0; f < sig.frames; f++) {
    analyzer.analyze(x, f * settings.hopLength, record, 0);
    out.melPower.set(analyzer.lastMelSpectrum, f * N_MELS);
    out.logMelDb.set(record.subarray(L.logMel!.offset, L.logMel!.offset + N_MELS), f * N_MELS);
    out.mfcc.set(record.subarray(L.mfcc!.offset, L.mfcc!.offset + N_MFCC), f * N_MFCC);
    out.rms[f] = record[L.rms!.offset];
    out.zcr[f] = record[L.zcr!.offset];
  }
  return out;
}

/** One window covering exactly the fixture's frames (per-window deltas / top_db = librosa on the excerpt). */
function singleWindow(sig: FixtureSignal, overrides: Parameters<typeof parseAudioFeatureSettings>[0]) {
  const seconds = sig.frames / 100;
  const extractor = new StreamingFeatureExtractor({
    windowSeconds: seconds,
    windowHopSeconds: seconds,
    minFinalWindowSeconds: 0.1,
    normalization: { kind: 'none' },
    ...overrides,
  });
  const windows = extractor.push(sig.pcm);
  expect(windows).toHaveLength(1);
  expect(windows[0].validFrames).toBe(sig.frames);
  return { window: windows[0], nFeatures: extractor.nFeatures };
}

function columns(w: Float32Array, nFeatures: number, from: number, width: number): Float32Array {
  const rows = w.length / nFeatures;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(w.subarray(r * nFeatures + from, r * nFeatures + from + width), r * width);
  return out;
}

describe('audio features agree with librosa 0.10 (center=False)', () => {
  it('has the fixture signals (2 RAVDESS excerpts and a chirp)', () => {
    expect(fixture.signals.map((s) => s.name)).toHaveLength(3);
    for (const s of fixture.signals) expect(s.frames).toBe(1 + Math.floor((s.pcm.length - 512) / 160));
  });

  for (const sig of fixture.signals) {
    describe(sig.name, () => {
      const frames = analyzeFrames(sig);

      it('mel power spectrogram (slaney scale and norm)', () => {
        expect(maxRelDiff(frames.melPower, sig.arrays.melPower)).toBeLessThan(MEL_RELATIVE);
      });

      it('log-mel power_to_db (no top_db)', () => {
        expect(maxAbsDiff(frames.logMelDb, sig.arrays.logMelDb)).toBeLessThan(DB_ABSOLUTE);
      });

      it('MFCC (orthonormal DCT-II)', () => {
        expect(maxAbsDiff(frames.mfcc, sig.arrays.mfcc)).toBeLessThan(MFCC_ABSOLUTE);
      });

      it('RMS and zero-crossing rate over the analysed samples', () => {
        expect(maxRelDiff(frames.rms, sig.arrays.rms)).toBeLessThan(1e-6);
        expect(maxAbsDiff(frames.zcr, sig.arrays.zcr)).toBeLessThan(1e-6);
      });

      it('window features: MFCC + delta + delta2 (width 9, interp) + rms + zcr', () => {
        const { window, nFeatures } = singleWindow(sig, { deltaOrder: 2 });
        expect(nFeatures).toBe(3 * N_MFCC + 2);
        const f = window.features;
        expect(maxAbsDiff(columns(f, nFeatures, 0, N_MFCC), sig.arrays.mfcc)).toBeLessThan(MFCC_ABSOLUTE);
        expect(maxAbsDiff(columns(f, nFeatures, N_MFCC, N_MFCC), sig.arrays.delta)).toBeLessThan(DELTA_ABSOLUTE);
        expect(maxAbsDiff(columns(f, nFeatures, 2 * N_MFCC, N_MFCC), sig.arrays.delta2)).toBeLessThan(DELTA_ABSOLUTE);
        expect(maxRelDiff(columns(f, nFeatures, 3 * N_MFCC, 1), sig.arrays.rms)).toBeLessThan(1e-6);
        expect(maxAbsDiff(columns(f, nFeatures, 3 * N_MFCC + 1, 1), sig.arrays.zcr)).toBeLessThan(1e-6);
      });

      it('window features with top_db = 80 (clipped relative to the window maximum)', () => {
        const { window, nFeatures } = singleWindow(sig, { topDb: 80, deltaOrder: 0, features: { rms: false, zcr: false } });
        expect(maxAbsDiff(columns(window.features, nFeatures, 0, N_MFCC), sig.arrays.mfccTop80)).toBeLessThan(MFCC_ABSOLUTE);
        // top_db must actually have clipped something in the speech excerpts, or this test proves nothing
        if (!sig.name.startsWith('chirp')) expect(maxAbsDiff(sig.arrays.mfccTop80, sig.arrays.mfcc)).toBeGreaterThan(1e-2);
      });

      it('log-mel window block equals the frame log-mel', () => {
        const { window, nFeatures } = singleWindow(sig, { deltaOrder: 0, features: { logMel: true, mfcc: false, rms: false, zcr: false } });
        expect(nFeatures).toBe(N_MELS);
        expect(maxAbsDiff(window.features, sig.arrays.logMelDb)).toBeLessThan(DB_ABSOLUTE);
      });
    });
  }

  it('HTK mel scale without filter normalisation', () => {
    const chirp = fixture.signals.find((s) => s.name.startsWith('chirp'))!;
    const frames = analyzeFrames(chirp, { melScale: 'htk', melNorm: null });
    expect(maxRelDiff(frames.melPower, chirp.arrays.melPowerHtkNoNorm)).toBeLessThan(MEL_RELATIVE);
    // and it differs from the slaney filterbank, so the setting is really used
    expect(maxRelDiff(frames.melPower, chirp.arrays.melPower)).toBeGreaterThan(0.1);
  });
});
