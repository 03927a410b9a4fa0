import * as tf from '@tensorflow/tfjs';
import { accuracy, logLoss } from '../../analysis/classification.js';
import { randomSearch } from '../../analysis/validation.js';
import { argMax } from './classification-summary.js';
import { DEFAULT_HEAD, fitFeatureHead, predictRows, type HeadHyperparameters } from './head-training.js';

/** One point of the image head's search space: the head's hyperparameters and the augmentation strength of its training features. */
export interface HeadSearchParams extends HeadHyperparameters {
  /** Multiplies DEFAULT_AUGMENT's ranges (0: original + mirror only); see scaledAugment. */
  augmentStrength: number;
}

/** The searched space (random search: log-uniform rates, uniform dropout, a list of strengths). */
export const HEAD_SEARCH_SPACE = {
  learningRate: { logUniform: [1e-4, 1e-2] as [number, number] },
  dropout: { uniform: [0, 0.6] as [number, number] },
  l2: { logUniform: [1e-5, 1e-2] as [number, number] },
  augmentStrength: [0, 0.5, 1, 1.5],
};

export interface HeadSearchTrial {
  params: HeadSearchParams;
  /** 'default' = the shipped recipe (always trial 0), 'random' = drawn. */
  source: 'default' | 'random';
  validationAccuracy: number;
  validationLogLoss: number;
  /** validation accuracy - 0.001 x validation log loss: accuracy decides, log loss breaks ties. */
  score: number;
  epochs: number;
  bestEpoch: number;
}

export interface HeadSearchResult {
  trials: HeadSearchTrial[];
  /** Index into trials of the chosen setting (highest score; the first wins ties). */
  chosen: number;
  /** The chosen head's probabilities on the test split (computed once, after the choice). */
  testProbs: number[][];
  validationProbs: number[][];
  seed: number;
  budget: number;
}

/** Training features of one augmentation strength: rows and their class indices. */
export type FeaturesForStrength = (strength: number) => Promise<{ x: tf.Tensor2D; y: number[] }>;

/**
 * Random search over the image head on cached backbone features, scored on the validation split
 * only; the test split is scored once, for the chosen setting. Trial 0 is the shipped recipe
 * (DEFAULT_HEAD at strength 1); then `budget` random draws with `seed`.
 */
export async function searchHead(options: {
  trainFeatures: FeaturesForStrength;
  xVal: tf.Tensor2D;
  yVal: number[];
  xTest: tf.Tensor2D;
  labels: readonly string[];
  seed: number;
  budget: number;
  epochs: number;
  patience: number;
  log?: (line: string) => void;
}): Promise<HeadSearchResult> {
  const { labels } = options;
  const valTruth = options.yVal.map((i) => labels[i]);
  const trials: HeadSearchTrial[] = [];
  let bestModel: tf.LayersModel | undefined;
  let bestScore = -Infinity;
  const evaluate = async (params: HeadSearchParams, source: HeadSearchTrial['source']): Promise<number> => {
    const { x, y } = await options.trainFeatures(params.augmentStrength);
    const { model, history } = await fitFeatureHead({ xTrain: x, yTrain: y, xVal: options.xVal, yVal: options.yVal, classes: labels.length, seed: options.seed, epochs: options.epochs, patience: options.patience, hyper: params });
    const probs = predictRows(model, options.xVal);
    const validationAccuracy = accuracy(valTruth, probs.map((p) => labels[argMax(p)]));
    const validationLogLoss = logLoss(valTruth, probs, labels);
    const score = validationAccuracy - 1e-3 * validationLogLoss;
    trials.push({ params, source, validationAccuracy, validationLogLoss, score, epochs: history.epochs, bestEpoch: history.bestEpoch });
    options.log?.(`[analyze:image] search trial ${trials.length - 1} (${source}) ${JSON.stringify(params)}: validation accuracy ${validationAccuracy.toFixed(4)}, log loss ${validationLogLoss.toFixed(4)}`);
    if (score > bestScore) {
      bestScore = score;
      bestModel?.dispose();
      bestModel = model;
    } else model.dispose();
    return score;
  };
  await evaluate({ ...DEFAULT_HEAD, augmentStrength: 1 }, 'default');
  if (options.budget > 0) await randomSearch<HeadSearchParams & Record<string, number>>(HEAD_SEARCH_SPACE, (p) => evaluate(p, 'random'), { iterations: options.budget, seed: options.seed });
  const chosen = trials.findIndex((t) => t.score === bestScore);
  const result = { trials, chosen, testProbs: predictRows(bestModel!, options.xTest), validationProbs: predictRows(bestModel!, options.xVal), seed: options.seed, budget: options.budget };
  bestModel!.dispose();
  return result;
}
