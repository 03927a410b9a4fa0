import * as tf from '@tensorflow/tfjs';
import { comparePairedClassifiers, type PairedClassifierComparison } from '../../analysis/paired-classifier-comparison.js';
import { scoreCurveSummary, type ScoreCurveSummary } from '../../analysis/score-curve-sections.js';
import { darknetInputSettings } from '../../features/image/settings.js';
import type { FitHistory } from '../fit.js';
import { DEFAULT_AUGMENT, scaledAugment } from './augment.js';
import { backboneOutputsFor, type BackboneOutputs, type ImageVariant } from './backbone-features.js';
import { argMax, summariseClassification, type ClassificationSummary } from './classification-summary.js';
import type { HoldoutSplit, LabelledImage } from '../../ingest/image-dataset.js';
import { featureMatrix, fitFeatureHead, predictRows } from './head-training.js';
import { searchHead, type HeadSearchResult } from './head-search.js';
import { trainSmallCnn } from './small-cnn-training.js';
import { zeroShotScores } from './zero-shot-classes.js';

/**
 * The seed report's image analyses on one held-out split (issue 25): a grayscale variant of the
 * transfer pipeline beside RGB, a hyperparameter search of the head on the validation split, the
 * from-scratch CNN, the zero-shot backbone, paired tests between the models' correct predictions
 * and one-vs-rest ROC / PR curves. Every model is scored on the same validation and test photos.
 */

/** Probabilities of one model on the validation and test splits (columns in `labels` order). */
export interface ModelScores {
  validation: number[][];
  test: number[][];
}

export interface AnalysedModel {
  id: 'served' | 'rgb' | 'gray' | 'searched' | 'cnn' | 'zero-shot';
  name: string;
  validation: ClassificationSummary;
  test: ClassificationSummary;
  /** One-vs-rest areas on the test split. */
  curves: ScoreCurveSummary;
  testProbs: number[][];
  history?: FitHistory;
}

export interface ModelPairComparison extends PairedClassifierComparison {
  a: AnalysedModel['id'];
  b: AnalysedModel['id'];
}

export interface ImageAnalyses {
  labels: string[];
  split: { train: number; validation: number; test: number };
  testTruth: string[];
  models: AnalysedModel[];
  search: HeadSearchResult;
  comparisons: ModelPairComparison[];
  /** Wall seconds of the whole analysis. */
  seconds: number;
}

export interface ImageAnalysesOptions {
  split: HoldoutSplit<LabelledImage>;
  labels: string[];
  seed: number;
  /** The served model's probabilities (the shipped version through its served ONNX path). */
  served: ModelScores & { name: string };
  /** The from-scratch CNN's probabilities and history when the caller trained it; else it is trained here for `cnnEpochs`. */
  cnn?: ModelScores & { history?: FitHistory };
  /** Max epochs of the CNN when trained here (default 12: a brief run, see BENCHMARKS.md). */
  cnnEpochs?: number;
  /** Random trials of the head search besides the shipped recipe (default 12). */
  searchBudget?: number;
  /** Max epochs of every head (default 60) and the early-stopping patience (default 8). */
  epochs?: number;
  patience?: number;
  log?: (line: string) => void;
}

/** Train variants of the shipped recipe: original, mirror and two seeded augmentations. */
const TRAIN_VARIANTS: ImageVariant[] = ['orig', 'flip', 'aug0', 'aug1'];

export async function runImageAnalyses(options: ImageAnalysesOptions): Promise<ImageAnalyses> {
  const started = Date.now();
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const { split, labels, seed } = options;
  const epochs = options.epochs ?? 60;
  const patience = options.patience ?? 8;
  const settings = darknetInputSettings(224);
  const yIndex = (list: LabelledImage[]) => list.map((i) => labels.indexOf(i.label));
  const yVal = yIndex(split.validation);
  const valTruth = split.validation.map((i) => i.label);
  const testTruth = split.test.map((i) => i.label);
  const features = (list: LabelledImage[], variants: ImageVariant[], colour: 'rgb' | 'gray', strength = 1) =>
    backboneOutputsFor(
      list.flatMap((it) => variants.map((variant) => ({ file: it.file, variant }))),
      {
        settings,
        colour,
        ...(strength !== 1 ? { augment: scaledAugment(strength), augmentTag: `s${strength}` } : { augment: DEFAULT_AUGMENT }),
        onProgress: (done, total, computed) => computed % 256 === 0 && log(`[analyze:image] ${colour} backbone features ${done}/${total} (${Math.round((Date.now() - started) / 1000)} s)`),
      },
    );
  const trainY = (variants: ImageVariant[]) => split.train.flatMap((it) => variants.map(() => labels.indexOf(it.label)));

  const models: AnalysedModel[] = [];
  const add = (id: AnalysedModel['id'], name: string, scores: ModelScores, history?: FitHistory) => {
    const m: AnalysedModel = {
      id,
      name,
      validation: summariseClassification(labels, valTruth, scores.validation),
      test: summariseClassification(labels, testTruth, scores.test),
      curves: scoreCurveSummary(testTruth, normaliseRows(scores.test), labels),
      testProbs: scores.test,
      ...(history ? { history } : {}),
    };
    models.push(m);
    log(`[analyze:image] ${name}: validation accuracy ${m.validation.accuracy.toFixed(4)}, test accuracy ${m.test.accuracy.toFixed(4)}, macro-F1 ${m.test.macroF1.toFixed(4)}`);
  };
  add('served', options.served.name, options.served);

  // ---- transfer head, RGB and grayscale: the shipped recipe on each colour's cached features ----
  const headOn = async (colour: 'rgb' | 'gray') => {
    const [trainOut, valOut, testOut] = [await features(split.train, TRAIN_VARIANTS, colour), await features(split.validation, ['orig'], colour), await features(split.test, ['orig'], colour)];
    const [xTrain, xVal, xTest] = [featureMatrix(trainOut), featureMatrix(valOut), featureMatrix(testOut)];
    const { model, history } = await fitFeatureHead({ xTrain, yTrain: trainY(TRAIN_VARIANTS), xVal, yVal, classes: labels.length, seed, epochs, patience });
    const scores = { validation: predictRows(model, xVal), test: predictRows(model, xTest) };
    tf.dispose([xTrain, xVal, xTest]);
    model.dispose();
    return { scores, history, valOut, testOut };
  };
  const rgb = await headOn('rgb');
  add('rgb', 'transfer head, RGB (shipped recipe, retrained here)', rgb.scores, rgb.history);
  const gray = await headOn('gray');
  add('gray', 'transfer head, grayscale (luma in 3 channels, same recipe)', gray.scores, gray.history);

  // ---- hyperparameter search of the head (validation only) -------------------------------------
  const xVal = featureMatrix(rgb.valOut);
  const xTest = featureMatrix(rgb.testOut);
  // One [n, 512] training matrix per augmentation strength, built on first use.
  const byStrength = new Map<number, tf.Tensor2D>();
  const search = await searchHead({
    trainFeatures: async (strength) => {
      const variants: ImageVariant[] = strength === 0 ? ['orig', 'flip'] : TRAIN_VARIANTS;
      if (!byStrength.has(strength)) byStrength.set(strength, featureMatrix(await features(split.train, variants, 'rgb', strength)));
      return { x: byStrength.get(strength)!, y: trainY(variants) };
    },
    xVal,
    yVal,
    xTest,
    labels,
    seed,
    budget: options.searchBudget ?? 12,
    epochs,
    patience,
    log,
  });
  tf.dispose([xVal, xTest, ...byStrength.values()]);
  add('searched', `transfer head, chosen by the search (trial ${search.chosen})`, { validation: search.validationProbs, test: search.testProbs });

  // ---- from-scratch CNN ----------------------------------------------------------------------
  if (options.cnn) add('cnn', 'CNN from scratch (3 x Conv2D + MaxPool, L2, dropout; 64x64)', options.cnn, options.cnn.history);
  else {
    const cnnEpochs = options.cnnEpochs ?? 12;
    log(`[analyze:image] training the from-scratch CNN for at most ${cnnEpochs} epochs`);
    const trained = await trainSmallCnn({ split, labels, seed, epochs: cnnEpochs, patience, log });
    add('cnn', `CNN from scratch (3 x Conv2D + MaxPool, L2, dropout; 64x64; ${trained.history.epochs} epochs here)`, { validation: predictRows(trained.model, trained.xVal), test: predictRows(trained.model, trained.xTest) }, trained.history);
    tf.dispose([trained.xVal, trained.xTest]);
    trained.model.dispose();
  }

  // ---- zero-shot Darknet-Tiny (its ImageNet classes summed) ----------------------------------
  if (labels.every((l) => ['cat', 'dog', 'fox'].includes(l))) {
    const zs = (outs: BackboneOutputs[]) => outs.map((o) => labels.map((l) => (zeroShotScores(o.logits, 1)[0] as Record<string, number>)[l] ?? 0));
    add('zero-shot', 'zero-shot Darknet-Tiny (ImageNet cat/dog/fox classes summed)', { validation: zs(rgb.valOut), test: zs(rgb.testOut) });
  }

  // ---- paired tests on the test split ----------------------------------------------------------
  const pred = (m: AnalysedModel) => m.testProbs.map((p) => labels[argMax(p)]);
  const byId = (id: AnalysedModel['id']) => models.find((m) => m.id === id);
  const pairs: Array<[AnalysedModel['id'], AnalysedModel['id']]> = [
    ['rgb', 'gray'],
    ['searched', 'rgb'],
    ['served', 'rgb'],
    ['served', 'gray'],
    ['served', 'cnn'],
    ['served', 'zero-shot'],
  ];
  const comparisons = pairs
    .filter(([a, b]) => byId(a) && byId(b))
    .map(([a, b]) => ({ a, b, ...comparePairedClassifiers(testTruth, pred(byId(a)!), pred(byId(b)!)) }));

  return {
    labels,
    split: { train: split.train.length, validation: split.validation.length, test: split.test.length },
    testTruth,
    models,
    search,
    comparisons,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}

/** Rows scaled to sum to 1 (the zero-shot scores are a share of the ImageNet mass, not a distribution over the labels). */
function normaliseRows(rows: number[][]): number[][] {
  return rows.map((p) => {
    const s = p.reduce((a, b) => a + b, 0);
    return s > 0 ? p.map((v) => v / s) : p.map(() => 1 / p.length);
  });
}
