import * as tf from '@tensorflow/tfjs';
import { fitModel, type FitHistory } from '../fit.js';
import { DARKNET_FEATURE_SIZE } from './darknet-backbone.js';
import { buildTransferHead, composeHeadEnsemble } from './models.js';

/** What the image head's training can vary (the hyperparameter search's space, less augmentation). */
export interface HeadHyperparameters {
  learningRate: number;
  dropout: number;
  l2: number;
}

/** The recipe the shipped transfer head was trained with. */
export const DEFAULT_HEAD: HeadHyperparameters = { learningRate: 1e-3, dropout: 0.3, l2: 1e-3 };

/** Pooled backbone feature vectors as an [n, d] tensor (d: their length, Darknet-Tiny's 512 when there are none). */
export function featureMatrix(outs: ReadonlyArray<{ features: Float32Array }>): tf.Tensor2D {
  const d = outs[0]?.features.length ?? DARKNET_FEATURE_SIZE;
  const x = new Float32Array(outs.length * d);
  outs.forEach((o, i) => {
    if (o.features.length !== d) throw new Error(`featureMatrix: row ${i} has ${o.features.length} features, expected ${d}`);
    x.set(o.features, i * d);
  });
  return tf.tensor2d(x, [outs.length, d]);
}

/**
 * Trains the standardised softmax head (buildTransferHead) on cached backbone features: Adam,
 * batch 32, early stopping on validation loss with the best weights restored. The caller owns the
 * tensors it passes and the returned model.
 */
export async function fitFeatureHead(data: {
  xTrain: tf.Tensor2D;
  yTrain: number[];
  xVal: tf.Tensor2D;
  yVal: number[];
  classes: number;
  seed: number;
  epochs: number;
  patience: number;
  hyper?: HeadHyperparameters;
}): Promise<{ model: tf.LayersModel; history: FitHistory }> {
  const h = data.hyper ?? DEFAULT_HEAD;
  const { mean, variance } = tf.moments(data.xTrain, 0);
  const model = buildTransferHead({ featureSize: data.xTrain.shape[1], classes: data.classes, seed: data.seed, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D, l2: h.l2, dropout: h.dropout });
  model.compile({ optimizer: tf.train.adam(h.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const yTrain = tf.oneHot(data.yTrain, data.classes);
  const yVal = tf.oneHot(data.yVal, data.classes);
  try {
    const history = await fitModel(model, { x: data.xTrain, y: yTrain }, {
      epochs: data.epochs,
      batchSize: 32,
      shuffleSeed: data.seed,
      validation: { x: data.xVal, y: yVal },
      earlyStopping: { monitor: 'val_loss', patience: data.patience, restoreBestWeights: true },
      progress: 'none',
    });
    return { model, history };
  } finally {
    tf.dispose([mean, variance, yTrain, yVal]);
  }
}

/** Class probabilities of a model on a tensor, as rows. */
export function predictRows(model: tf.LayersModel, x: tf.Tensor): number[][] {
  return tf.tidy(() => (model.predict(x) as tf.Tensor).arraySync() as number[][]);
}

/**
 * `seeds.length` heads (fitFeatureHead, one per seed, same features) as one head whose answer is the
 * average of their probabilities (composeHeadEnsemble); one seed gives fitFeatureHead's head itself.
 * Returns each member's history (the first is the one reported as the head's training curve).
 */
export async function fitFeatureHeadEnsemble(data: Omit<Parameters<typeof fitFeatureHead>[0], 'seed'> & { seeds: readonly number[] }): Promise<{ model: tf.LayersModel; histories: FitHistory[] }> {
  if (data.seeds.length === 0) throw new Error('head ensemble: no seeds');
  const members: tf.LayersModel[] = [];
  const histories: FitHistory[] = [];
  for (const seed of data.seeds) {
    const { model, history } = await fitFeatureHead({ ...data, seed });
    members.push(model);
    histories.push(history);
  }
  if (members.length === 1) return { model: members[0], histories };
  const model = composeHeadEnsemble(members);
  for (const m of members) m.dispose();
  return { model, histories };
}
