/**
 * Speaker gender recognition on the emotion model's audio windows: the speech pipeline's dataset
 * adapters (gender from the file names), clip feature cache, window collection, compact CNN and
 * training loop, with speaker-grouped k-fold cross-validation and clip-level scoring (mean of the
 * window probabilities over the clip's speech windows).
 */
import * as tf from '@tensorflow/tfjs';
import {
  accuracy,
  confusionMatrix,
  macroF1,
  mean,
  rocAucBinary,
  std,
  groupKFold,
  type ConfusionMatrix,
} from '../../analysis/index.js';
import { parseAudioFeatureSettings, type AudioFeatureSettings, type AudioFeatureSettingsInput } from '../../features/audio/index.js';
import { listVersions, modelsRoot, readVersion } from '../../inference/model-repository.js';
import { join } from 'node:path';
import { extractClipFeatures, type FeatureSet } from './clip-features.js';
import { GENDER_LABELS, scanSpeechDataset, type DatasetName, type Gender, type SpeechClip } from './datasets.js';
import { balancedClassWeights, predictWindows, type EpochLog } from './fit-speech.js';
import { buildFrameModel, fitFrameModel, withFixedFrames } from './gender-model.js';
import { collectWindows, featureStatistics, normaliseInPlace } from './window-data.js';

export const GENDER_MODEL_NAME = 'gender';

/** Hyper-parameters of the gender net (gender-model.ts): per-frame layers, trained on window crops. */
export interface GenderModelOptions {
  epochs: number;
  /** Units of the first per-frame layer. */
  units: number;
  /** Frames of the random training crop taken from each window per epoch. */
  cropFrames: number;
  seed: number;
  learningRate: number;
  batchSize: number;
}

export const DEFAULT_GENDER_MODEL: GenderModelOptions = { epochs: 6, units: 32, cropFrames: 100, seed: 1, learningRate: 3e-3, batchSize: 32 };

/**
 * The feature settings the gender model must use: those of the newest emotion model (the server
 * feeds both models the same windows, matched by featureKey), else the extractor's defaults.
 */
export function genderFeatureSettings(root = modelsRoot()): { settings: AudioFeatureSettings; source: string } {
  const versions = listVersions('emotion', root);
  if (versions.length > 0) {
    const v = readVersion(join(root, 'emotion', versions[0]));
    if (v.manifest.features.kind !== 'audio') throw new Error(`emotion model ${v.dir} does not use audio features`);
    return { settings: parseAudioFeatureSettings(v.manifest.features.settings as AudioFeatureSettingsInput), source: `emotion model v${v.manifest.version}` };
  }
  return { settings: parseAudioFeatureSettings({}), source: 'audio feature extractor defaults (no emotion model published)' };
}

/** Clips of `root` whose dataset names give the speaker's gender. */
export function genderClips(root: string, dataset?: DatasetName): SpeechClip[] {
  const { clips } = scanSpeechDataset(root, dataset);
  const labelled = clips.filter((c) => c.gender);
  if (labelled.length === 0) {
    throw new Error(`no clip under ${root} has a gender label (RAVDESS actor numbers, SAVEE and TESS speakers give one; CREMA-D names do not)`);
  }
  return labelled;
}

export const genderIndex = (g: Gender): number => GENDER_LABELS.indexOf(g);

/** Clip-level probabilities: the mean of each clip's window probabilities (windows as given, e.g. speech windows). */
export function clipProbabilities(windowProbs: readonly Float32Array[], clipOf: Int32Array): Map<number, number[]> {
  const sums = new Map<number, { p: number[]; n: number }>();
  windowProbs.forEach((pr, i) => {
    const e = sums.get(clipOf[i]) ?? { p: new Array<number>(pr.length).fill(0), n: 0 };
    pr.forEach((v, j) => (e.p[j] += v));
    e.n++;
    sums.set(clipOf[i], e);
  });
  return new Map([...sums].map(([c, e]) => [c, e.p.map((v) => v / e.n)]));
}

/** Clip-level evaluation of gender predictions. */
export interface GenderEvaluation {
  n: number;
  accuracy: number;
  macroF1: number;
  confusion: ConfusionMatrix;
  /** ROC AUC of P(male), male positive. Null when only one gender is present. */
  rocAuc: number | null;
  truth: Gender[];
  predicted: Gender[];
  /** P(male) per clip. */
  maleScore: number[];
}

export function evaluateClips(truth: Gender[], probs: number[][]): GenderEvaluation {
  const male = genderIndex('male');
  const female = genderIndex('female');
  const predicted = probs.map((p) => (p[male] > p[female] ? 'male' : 'female') as Gender);
  const maleScore = probs.map((p) => p[male]);
  const both = new Set(truth).size === 2;
  return {
    n: truth.length,
    accuracy: accuracy(truth, predicted),
    macroF1: macroF1(truth, predicted, [...GENDER_LABELS]),
    confusion: confusionMatrix(truth, predicted, [...GENDER_LABELS]),
    rocAuc: both ? rocAucBinary(truth, maleScore, 'male') : null,
    truth,
    predicted,
    maleScore,
  };
}

export interface TrainedGenderModel {
  model: tf.LayersModel;
  normalisation: { mean: number[]; std: number[] };
  history: EpochLog[];
  trainWindows: number;
}

/**
 * Trains the gender net on the speech windows of `clipIdx` (normalisation statistics from those
 * windows) and returns it with a fixed [frames, features] input, ready to export.
 */
export async function fitGenderModel(fs: FeatureSet, clipIdx: readonly number[], o: GenderModelOptions, log?: (line: string) => void): Promise<TrainedGenderModel> {
  const labelOf = (c: number) => genderIndex(fs.clips[c].clip.gender!);
  const data = collectWindows(fs, clipIdx, labelOf, { augmented: true, speechOnly: true });
  const normalisation = featureStatistics(data.x, data.features);
  normaliseInPlace(data.x, normalisation);
  const shape = { features: data.features, classes: GENDER_LABELS.length, seed: o.seed, units: o.units };
  const trainable = buildFrameModel({ ...shape, frames: null });
  const history = await fitFrameModel(trainable, data, {
    epochs: o.epochs,
    cropFrames: o.cropFrames,
    seed: o.seed,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    classWeights: balancedClassWeights(data.y, GENDER_LABELS.length),
    onEpoch: (e, l) => log?.(`  epoch ${e}/${o.epochs} loss ${l.loss.toFixed(4)} acc ${l.acc.toFixed(4)} (${l.seconds.toFixed(1)} s)`),
  });
  const model = withFixedFrames(trainable, { ...shape, frames: data.frames });
  trainable.dispose();
  return { model, normalisation, history, trainWindows: data.n };
}

/** Clip probabilities of `clipIdx` (speech windows; a clip without any uses all its windows) through a trained tfjs model. */
export function predictClips(fs: FeatureSet, clipIdx: readonly number[], trained: TrainedGenderModel): Map<number, number[]> {
  const data = collectWindows(fs, clipIdx, (c) => genderIndex(fs.clips[c].clip.gender!), { speechOnly: true });
  normaliseInPlace(data.x, trained.normalisation);
  return clipProbabilities(predictWindows(trained.model, data.x, data.frames, data.features), data.clipOf);
}

export interface GenderFold {
  fold: number;
  testSpeakers: string[];
  trainClips: number;
  testClips: number;
  evaluation: GenderEvaluation;
  history: EpochLog[];
}

export interface GenderCrossValidation {
  folds: GenderFold[];
  accuracy: { mean: number; std: number; values: number[] };
  /** All out-of-fold clip predictions together. */
  pooled: GenderEvaluation;
}

/**
 * Speaker-grouped k-fold cross-validation (no speaker in both train and test of a fold), clip-level
 * accuracy per fold; std is the sample std (ddof = 1) over folds.
 */
export async function crossValidateGender(fs: FeatureSet, folds: number, o: GenderModelOptions, log?: (line: string) => void): Promise<GenderCrossValidation> {
  const clips = fs.clips.map((c) => c.clip);
  const splits = groupKFold(clips.map((c) => c.speaker), folds);
  const out: GenderFold[] = [];
  const oofTruth: Gender[] = [];
  const oofProbs: number[][] = [];
  for (const [k, split] of splits.entries()) {
    const testSpeakers = [...new Set(split.test.map((i) => clips[i].speaker))].sort();
    log?.(`[train:gender] fold ${k + 1}/${folds}: test speakers ${testSpeakers.join(', ')}`);
    const trained = await fitGenderModel(fs, split.train, o, log);
    const probs = predictClips(fs, split.test, trained);
    trained.model.dispose();
    const idx = [...probs.keys()];
    const evaluation = evaluateClips(idx.map((i) => clips[i].gender!), idx.map((i) => probs.get(i)!));
    log?.(`[train:gender] fold ${k + 1}: clip accuracy ${evaluation.accuracy.toFixed(4)}, AUC ${evaluation.rocAuc?.toFixed(4) ?? 'n/a'}`);
    oofTruth.push(...evaluation.truth);
    oofProbs.push(...idx.map((i) => probs.get(i)!));
    out.push({ fold: k + 1, testSpeakers, trainClips: split.train.length, testClips: split.test.length, evaluation, history: trained.history });
  }
  const values = out.map((f) => f.evaluation.accuracy);
  return { folds: out, accuracy: { mean: mean(values), std: values.length > 1 ? std(values) : 0, values }, pooled: evaluateClips(oofTruth, oofProbs) };
}

/** Feature windows of the gender clips (through the speech pipeline's cache). */
export async function genderFeatureSet(clips: SpeechClip[], settings: AudioFeatureSettings, log?: (line: string) => void): Promise<FeatureSet> {
  return extractClipFeatures(clips, settings, {
    onProgress: (d, n) => {
      if (d % 100 === 0 || d === n) log?.(`[train:gender] features ${d}/${n}`);
    },
  });
}
