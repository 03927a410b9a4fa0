import { describe, expect, it } from 'vitest';
import { ColumnPrefixSums } from '../../src/features/audio/column-prefix-sums.js';
import { foldedDct, foldedDctInto, orthonormalDctMatrix } from '../../src/features/audio/dsp/dct.js';
import { RealFft } from '../../src/features/audio/dsp/real-fft.js';
import type { AudioFeatureSettingsInput } from '../../src/features/audio/settings.js';
import { extractFile, StreamingFeatureExtractor, type FeatureWindow } from '../../src/features/audio/streaming-extractor.js';
import { pushInRandomChunks, ravdessClips, seededRandom } from './audio-test-signals.js';

describe('real FFT', () => {
  for (const size of [8, 16, 32, 64, 512, 1024]) {
    it(`equals the direct DFT, size ${size}`, () => {
      const rnd = seededRandom(size);
      const x = Float64Array.from({ length: size }, () => rnd() - 0.5);
      const fft = new RealFft(size);
      const re = new Float64Array(fft.nBins);
      const im = new Float64Array(fft.nBins);
      fft.transform(x, re, im);
      let worst = 0;
      for (let k = 0; k < fft.nBins; k++) {
        let a = 0;
        let b = 0;
        for (let n = 0; n < size; n++) {
          a += x[n] * Math.cos((2 * Math.PI * k * n) / size);
          b -= x[n] * Math.sin((2 * Math.PI * k * n) / size);
        }
        worst = Math.max(worst, Math.abs(a - re[k]), Math.abs(b - im[k]));
      }
      expect(worst).toBeLessThan(1e-11);
    });
  }

  it('refuses sizes that are not powers of two >= 8', () => {
    expect(() => new RealFft(400)).toThrow(/power of two/);
    expect(() => new RealFft(4)).toThrow(/power of two/);
  });
});

describe('folded DCT', () => {
  for (const [nIn, nOut, lifter] of [
    [40, 40, 0],
    [40, 13, 22],
    [41, 20, 0],
    [7, 7, 0],
  ]) {
    it(`equals the matrix product (${nIn} -> ${nOut}, lifter ${lifter})`, () => {
      const matrix = orthonormalDctMatrix(nIn, nOut, lifter);
      const rnd = seededRandom(nIn + nOut);
      const x = Float64Array.from({ length: nIn }, () => 100 * (rnd() - 0.5));
      const out = new Float64Array(nOut);
      foldedDctInto(foldedDct(matrix, nIn, nOut), x, 0, out, 0);
      for (let k = 0; k < nOut; k++) {
        let expected = 0;
        for (let n = 0; n < nIn; n++) expected += matrix[k * nIn + n] * x[n];
        expect(Math.abs(out[k] - expected)).toBeLessThan(1e-11);
      }
    });
  }
});

describe('column prefix sums', () => {
  it('give the sums and sums of squares of any run of rows, also after rows are dropped', () => {
    const nCols = 3;
    const capacity = 20;
    const prefix = new ColumnPrefixSums(capacity, nCols);
    const rnd = seededRandom(5);
    const all: number[][] = [];
    let first = 0; // stream index of store row 0
    for (let t = 0; t < 200; t++) {
      if (t - first === capacity) {
        prefix.dropRows(12, capacity - 12);
        first += 12;
      }
      const row = [1000 * rnd() - 300, rnd(), -5 + rnd()];
      all.push(row);
      prefix.addRow(t - first, Float64Array.from(row), 0, 0, nCols);
      const from = Math.max(first, t - 7);
      const sum = new Float64Array(nCols);
      const squares = new Float64Array(nCols);
      prefix.accumulate(from - first, t + 1 - first, 0, nCols, sum, squares);
      for (let c = 0; c < nCols; c++) {
        let s = 0;
        let q = 0;
        for (let r = from; r <= t; r++) {
          s += all[r][c];
          q += all[r][c] ** 2;
        }
        expect(Math.abs(sum[c] - s)).toBeLessThan(1e-9 * Math.max(1, Math.abs(s)));
        expect(Math.abs(squares[c] - q)).toBeLessThan(1e-9 * Math.max(1, q));
      }
    }
  });
});

function maxAbsDiff(a: FeatureWindow[], b: FeatureWindow[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((w, i) => {
    expect(w.validFrames).toBe(b[i].validFrames);
    for (let j = 0; j < w.features.length; j++) worst = Math.max(worst, Math.abs(w.features[j] - b[i].features[j]));
  });
  return worst;
}

const clips = ravdessClips('Actor_05', 3);
const pcm = new Int16Array(clips.reduce((n, c) => n + c.pcm.length, 0));
clips.reduce((at, c) => (pcm.set(c.pcm, at), at + c.pcm.length), 0);

describe('per-frame feature rows and prefix-sum normalisation', () => {
  // topDb so high that nothing is clipped takes the per-window path: MFCCs, deltas and normalisation
  // computed from the window's frames alone, i.e. the per-window reference of librosa applied to each window
  const perWindowReference = { topDb: 1e6 };
  const configs: [string, AudioFeatureSettingsInput][] = [
    ['defaults (MFCC + deltas + rms + zcr, per-window CMVN)', {}],
    ['log-mel + MFCC + deltas, mean removal only', { features: { logMel: true }, normalization: { kind: 'perWindowCmvn', variance: false } }],
    ['1 s windows every 0.1 s, no normalisation', { windowSeconds: 1, windowHopSeconds: 0.1, normalization: { kind: 'none' } }],
    ['shipped model: log-mel, 20 ms hop, 2 s windows, no deltas, mean removal', {
      hopLength: 320,
      deltaOrder: 0,
      windowSeconds: 2,
      features: { logMel: true, mfcc: false, rms: false, zcr: false },
      normalization: { kind: 'perWindowCmvn', variance: false },
    }],
  ];
  for (const [label, settings] of configs) {
    it(`equal the per-window computation to 1e-6: ${label}`, () => {
      const incremental = extractFile(pcm, settings);
      expect(incremental.length).toBeGreaterThan(3);
      expect(maxAbsDiff(incremental, extractFile(pcm, { ...settings, ...perWindowReference }))).toBeLessThan(1e-6);
    });

    it(`do not depend on chunking (bitwise): ${label}`, () => {
      const batch = extractFile(pcm, settings);
      const streamed = pushInRandomChunks(pcm, settings, seededRandom(label.length), 3000);
      expect(streamed.length).toBe(batch.length);
      streamed.forEach((w, i) => expect(Buffer.from(w.features.buffer).equals(Buffer.from(batch[i].features.buffer))).toBe(true));
    });
  }

  it('a short final window (zero-padded) equals the per-window computation', () => {
    const short = pcm.subarray(0, 16000 * 2);
    const [w] = extractFile(short);
    const [reference] = extractFile(short, perWindowReference);
    expect(w.validFrames).toBeLessThan(w.framesPerWindow);
    expect(maxAbsDiff([w], [reference])).toBeLessThan(1e-6);
  });

  it('global normalisation equals the per-window computation', () => {
    const nFeatures = new StreamingFeatureExtractor().nFeatures;
    const normalization = { kind: 'global' as const, mean: Array.from({ length: nFeatures }, (_, i) => i - 50), std: Array.from({ length: nFeatures }, (_, i) => 1 + i / 10) };
    expect(maxAbsDiff(extractFile(pcm, { normalization }), extractFile(pcm, { normalization, ...perWindowReference }))).toBeLessThan(1e-6);
  });
});
