import * as tf from '@tensorflow/tfjs';
import { seededInitializers } from '../seeding.js';
import { DARKNET_FEATURE_LAYER } from './darknet-backbone.js';

/**
 * The from-scratch CNN: three Conv2D(3x3, ReLU, L2) + MaxPool blocks on 64x64 RGB, global average
 * pooling, dropout and a softmax layer.
 */
export function buildSmallCnn(options: { inputSize: number; classes: number; seed: number; l2?: number; dropout?: number; filters?: [number, number, number] }): tf.LayersModel {
  const init = seededInitializers(options.seed);
  const l2 = options.l2 ?? 1e-4;
  const [f1, f2, f3] = options.filters ?? [16, 32, 64];
  const model = tf.sequential({ name: 'animal_cnn' });
  const conv = (filters: number, first: boolean) =>
    tf.layers.conv2d({
      ...(first ? { inputShape: [options.inputSize, options.inputSize, 3] } : {}),
      filters,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelRegularizer: tf.regularizers.l2({ l2 }),
      kernelInitializer: init.heNormal(),
    });
  model.add(conv(f1, true));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(conv(f2, false));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(conv(f3, false));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.globalAveragePooling2d({}));
  model.add(tf.layers.dropout({ rate: options.dropout ?? 0.3, seed: init.nextSeed() }));
  model.add(tf.layers.dense({ units: options.classes, activation: 'softmax', kernelRegularizer: tf.regularizers.l2({ l2 }), ...init.dense() }));
  return model;
}

/**
 * The transfer head over the pooled 512-d Darknet features: a frozen standardisation (a
 * BatchNormalization layer holding the training features' mean and variance), dropout and a
 * softmax Dense with L2. Trained alone on cached features.
 */
export function buildTransferHead(options: { featureSize: number; classes: number; seed: number; mean: tf.Tensor1D; variance: tf.Tensor1D; l2?: number; dropout?: number }): tf.LayersModel {
  const init = seededInitializers(options.seed);
  const d = options.featureSize;
  const model = tf.sequential({ name: 'animal_head' });
  model.add(
    tf.layers.batchNormalization({
      name: 'feature_standardise',
      inputShape: [d],
      epsilon: 1e-3,
      trainable: false,
      weights: [tf.ones([d]), tf.zeros([d]), options.mean, options.variance],
    }),
  );
  model.add(tf.layers.dropout({ name: 'head_dropout', rate: options.dropout ?? 0.3, seed: init.nextSeed() }));
  model.add(
    tf.layers.dense({ name: 'head_softmax', units: options.classes, activation: 'softmax', kernelRegularizer: tf.regularizers.l2({ l2: options.l2 ?? 1e-3 }), ...init.dense() }),
  );
  return model;
}

/**
 * Backbone + head as one model: Darknet-Tiny up to DARKNET_FEATURE_LAYER, global average pooling,
 * then the head's layers (weights shared with `head`). Input [batch, 224, 224, 3] in [0, 1],
 * output class probabilities. This is what gets exported to ONNX.
 */
export function composeTransferModel(darknet: tf.LayersModel, head: tf.LayersModel): tf.LayersModel {
  const feat = darknet.getLayer(DARKNET_FEATURE_LAYER).output as tf.SymbolicTensor;
  let x = tf.layers.globalAveragePooling2d({ name: 'feature_pool' }).apply(feat) as tf.SymbolicTensor;
  for (const layer of head.layers) x = layer.apply(x) as tf.SymbolicTensor;
  return tf.model({ name: 'animal_transfer', inputs: darknet.inputs, outputs: x });
}
