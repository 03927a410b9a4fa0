import { accuracy, macroF1 } from '../../analysis/classification.js';
import { confusionMatrix } from '../../analysis/confusion.js';
import { mean, std } from '../../analysis/descriptive.js';
import { tTestPaired } from '../../analysis/parametric-tests.js';
import { fitStandardizer, standardizeRows } from '../../analysis/standardize.js';
import { groupKFold } from '../../analysis/validation.js';
import { fitForest } from '../course/fit-forest.js';
import { csrFromRows } from '../../features/course/sparse-matrix.js';
import { fitLinearSvm, linearSvmScores } from '../linear-svm.js';
import { argmax } from './clip-metrics.js';
import type { ClipStatisticBlock } from './clip-frame-statistics.js';
import { columnsOfBlocks, type ClipStatisticsMatrix } from './clip-statistics-matrix.js';
import { EMOTION_LABELS } from './datasets.js';

export type BaselineModel = 'linear-svm' | 'random-forest';
export const BASELINE_MODEL_TITLES: Record<BaselineModel, string> = {
  'linear-svm': 'linear SVM (one-vs-rest, hinge loss, C = 0.1, tolerance 0.01, standardised inputs)',
  'random-forest': 'random forest (100 trees, √p features per split)',
};

/** Inputs compared: MFCC statistics alone, and with spectral contrast and / or chroma added. */
export const BASELINE_FEATURE_SETS: readonly (readonly ClipStatisticBlock[])[] = [
  ['mfcc'],
  ['mfcc', 'spectralContrast'],
  ['mfcc', 'chroma'],
  ['mfcc', 'spectralContrast', 'chroma'],
];

export interface BaselineFold {
  fold: number;
  testSpeakers: string[];
  testClips: number;
  accuracy: number;
  macroF1: number;
  /** confusion[i][j]: clips of true labels[i] predicted labels[j]. */
  confusion: number[][];
}

export interface BaselineRun {
  model: BaselineModel;
  blocks: ClipStatisticBlock[];
  features: number;
  folds: BaselineFold[];
  accuracy: { mean: number; std: number };
  macroF1: { mean: number; std: number };
}

export interface BaselineOptions {
  folds?: number;
  /** SVM penalty (default 0.1). */
  svmC?: number;
  /** Trees of the forest (default 100). */
  trees?: number;
  seed?: number;
}

/** Emotion labels present in the matrix, in the canonical order. */
export function matrixLabels(m: ClipStatisticsMatrix): string[] {
  const present = new Set(m.clips.map((c) => c.emotion));
  return EMOTION_LABELS.filter((l) => present.has(l));
}

/**
 * Predicted class indices of `test` rows from a model fitted on `train` rows (columns already chosen).
 * The SVM sees inputs standardised with the training rows' means and SDs; the forest raw ones.
 */
export function fitPredict(model: BaselineModel, train: number[][], yTrain: Int32Array, test: number[][], classes: number, o: BaselineOptions = {}): number[] {
  if (model === 'linear-svm') {
    const scaler = fitStandardizer(train);
    const svm = fitLinearSvm(standardizeRows(scaler, train), yTrain, classes, { c: o.svmC ?? 0.1, tolerance: 1e-2, seed: o.seed ?? 0 });
    return linearSvmScores(svm, standardizeRows(scaler, test)).map(argmax);
  }
  const p = train[0].length;
  const columns = Array.from({ length: p }, (_, j) => Float64Array.from(train, (r) => r[j]));
  const forest = fitForest(columns, Array.from({ length: p }, (_, j) => j), yTrain, { task: 'classification', classes, trees: o.trees ?? 100, maxFeatures: 'sqrt', seed: o.seed ?? 0 });
  const x = csrFromRows(test.map((r) => ({ indices: r.map((_, j) => j), values: r })), p);
  return forest.predictScores(x).map(argmax);
}

/**
 * Clip-level baselines on the speaker folds of the speech models (group k-fold by speaker over the
 * clips in dataset order: the folds `train audio` uses), one run per model and feature set.
 */
export function evaluateBaselines(m: ClipStatisticsMatrix, o: BaselineOptions = {}): BaselineRun[] {
  const labels = matrixLabels(m);
  const y = Int32Array.from(m.clips, (c) => labels.indexOf(c.emotion!));
  if (y.some((v) => v < 0)) throw new Error('every clip of the baseline matrix needs an emotion label');
  const splits = groupKFold(m.clips.map((c) => c.speaker), o.folds ?? 6);
  const runs: BaselineRun[] = [];
  for (const blocks of BASELINE_FEATURE_SETS) {
    if (!blocks.every((b) => m.blocks.includes(b))) continue;
    const cols = columnsOfBlocks(m, blocks);
    const rows = m.values.map((r) => cols.map((k) => r[k]));
    for (const model of ['linear-svm', 'random-forest'] as const) {
      const folds = splits.map((split, fold): BaselineFold => {
        const pred = fitPredict(model, split.train.map((i) => rows[i]), Int32Array.from(split.train, (i) => y[i]), split.test.map((i) => rows[i]), labels.length, o);
        const truth = split.test.map((i) => labels[y[i]]);
        const predicted = pred.map((k) => labels[k]);
        return {
          fold,
          testSpeakers: [...new Set(split.test.map((i) => m.clips[i].speaker))].sort(),
          testClips: split.test.length,
          accuracy: accuracy(truth, predicted),
          macroF1: macroF1(truth, predicted, labels),
          confusion: confusionMatrix(truth, predicted, labels).counts,
        };
      });
      runs.push({ model, blocks: [...blocks], features: cols.length, folds, accuracy: summary(folds.map((f) => f.accuracy)), macroF1: summary(folds.map((f) => f.macroF1)) });
    }
  }
  return runs;
}

function summary(xs: number[]): { mean: number; std: number } {
  return { mean: mean(xs), std: xs.length > 1 ? std(xs) : 0 };
}

export interface InputDecision {
  block: ClipStatisticBlock;
  /** Per model: fold accuracies with the block added minus without, paired t-test over the folds. */
  perModel: { model: BaselineModel; deltas: number[]; meanDelta: number; foldsBetter: number; t: number; p: number }[];
  on: boolean;
  rule: string;
}

/**
 * Whether adding `block` to the MFCC statistics helps, by what the folds say: on only when, for
 * every model, the mean fold accuracy rises and a paired t-test over the folds gives p < alpha.
 */
export function decideInput(runs: BaselineRun[], block: ClipStatisticBlock, alpha = 0.05): InputDecision {
  const key = (r: BaselineRun) => `${r.model}:${r.blocks.join('+')}`;
  const byKey = new Map(runs.map((r) => [key(r), r]));
  const perModel = (['linear-svm', 'random-forest'] as const).map((model) => {
    const off = byKey.get(`${model}:mfcc`);
    const on = byKey.get(`${model}:mfcc+${block}`);
    if (!off || !on) throw new Error(`decideInput: no ${model} runs with and without ${block}`);
    const a = on.folds.map((f) => f.accuracy);
    const b = off.folds.map((f) => f.accuracy);
    const deltas = a.map((v, i) => v - b[i]);
    const t = tTestPaired(a, b);
    return { model, deltas, meanDelta: mean(deltas), foldsBetter: deltas.filter((d) => d > 0).length, t: t.statistic, p: t.pValue };
  });
  return {
    block,
    perModel,
    on: perModel.every((m) => m.meanDelta > 0 && m.p < alpha),
    rule: `on when, for both models, the mean fold accuracy with it is higher than with MFCC statistics alone and the paired t-test over the folds gives p < ${alpha}`,
  };
}
