import * as tf from '@tensorflow/tfjs';
import { fitModel, type FitHistory } from '../fit.js';
import { DARKNET_FEATURE_SIZE } from './darknet-backbone.js';
import { buildTransferHead } from './models.js';

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
