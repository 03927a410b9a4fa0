import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';
import { fitStandardizer } from '../../src/analysis/standardize.js';
import { fitPredict } from '../../src/training/speech/emotion-baselines.js';

/**
 * The clip-level emotion baselines against scikit-learn on the same features: RAVDESS clip MFCC
 * statistics from our feature code (scripts/fixtures/speech-baselines-input.ts) and sklearn's
 * accuracies on the same 6 speaker folds (scripts/fixtures/speech_baselines_fixtures.py).
 */
const input = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'speech-baselines-input.json'), 'utf8')) as {
  rows: number;
  columns: string[];
  labels: string[];
  x: string;
  y: number[];
  fold: number[];
};
const expected = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'speech-baselines-expected.json'), 'utf8')) as {
  svmAccuracy: number[];
  forestAccuracyBySeed: number[][];
  scalerFold1: { mean: number[]; scale: number[] };
};
const bytes = Buffer.from(input.x, 'base64');
const p = input.columns.length;
const rows = Array.from({ length: input.rows }, (_, i) => Array.from({ length: p }, (_, j) => bytes.readFloatLE(4 * (i * p + j))));

function foldAccuracy(model: 'linear-svm' | 'random-forest', fold: number): number {
  const train = rows.flatMap((_, i) => (input.fold[i] !== fold ? [i] : []));
  const test = rows.flatMap((_, i) => (input.fold[i] === fold ? [i] : []));
  const pred = fitPredict(model, train.map((i) => rows[i]), Int32Array.from(train, (i) => input.y[i]), test.map((i) => rows[i]), input.labels.length);
  return pred.filter((k, j) => k === input.y[test[j]]).length / test.length;
}

const folds = expected.svmAccuracy.map((_, f) => f);

describe('emotion baselines vs scikit-learn on the same clip MFCC statistics', () => {
  it('the fixture is the 1,080 RAVDESS clips, 80 columns, 6 folds of 180 clips', () => {
    expect(input.rows).toBe(1080);
    expect(p).toBe(80);
    for (const f of folds) expect(input.fold.filter((v) => v === f).length).toBe(180);
  });

  it('fitStandardizer = StandardScaler (mean, population SD) on fold 1\'s training rows', () => {
    const s = fitStandardizer(rows.filter((_, i) => input.fold[i] !== 0));
    s.mean.forEach((m, j) => expect(m).toBeCloseTo(expected.scalerFold1.mean[j], 9));
    s.scale.forEach((v, j) => expect(v / expected.scalerFold1.scale[j]).toBeCloseTo(1, 9));
  });

  it('linear SVM: each fold within 3 points of LinearSVC(hinge, C=0.1) after StandardScaler', { timeout: 240_000 }, () => {
    const ours = folds.map((f) => foldAccuracy('linear-svm', f));
    ours.forEach((a, f) => expect(Math.abs(a - expected.svmAccuracy[f]), `fold ${f + 1}: ours ${a}, sklearn ${expected.svmAccuracy[f]}`).toBeLessThanOrEqual(0.03));
    // well above chance (1/8): the comparison is between two working classifiers
    expect(ours.reduce((a, b) => a + b, 0) / ours.length).toBeGreaterThan(0.3);
  });

  it('random forest: mean accuracy within 3 points of RandomForestClassifier(100, sqrt), each fold within 6 of its seed range', { timeout: 300_000 }, () => {
    const ours = folds.map((f) => foldAccuracy('random-forest', f));
    const sk = expected.forestAccuracyBySeed;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(mean(ours) - mean(sk.map(mean)))).toBeLessThanOrEqual(0.03);
    ours.forEach((a, f) => {
      expect(a, `fold ${f + 1}`).toBeGreaterThanOrEqual(Math.min(...sk[f]) - 0.06);
      expect(a, `fold ${f + 1}`).toBeLessThanOrEqual(Math.max(...sk[f]) + 0.06);
    });
  });
});
