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
  const x = tf.layers.globalAveragePooling2d({ name: 'feature_pool' }).apply(feat) as tf.SymbolicTensor;
  return tf.model({ name: 'animal_transfer', inputs: darknet.inputs, outputs: applyHead(head, x) });
}

/** Name of the layer averaging an ensemble head's members (composeHeadEnsemble). */
export const HEAD_AVERAGE_LAYER = 'head_softmax';

/**
 * Several transfer heads trained on the same features (different seeds) as one head: one
 * standardisation (member 0's), one softmax Dense per member (`head_softmax_<k>`) and the average of
 * their probabilities (`head_softmax`, an ONNX Mean). Averaging seed heads is the cheapest ensemble
 * there is: the backbone, which costs ~99% of the compute, runs once, and the members share one input
 * (the embedding the out-of-distribution gate and monitoring read). Each member's own standardisation
 * (tfjs moves a BatchNormalization's statistics a little while training even when it is frozen) is
 * folded exactly into its Dense, relative to member 0's. Dropout is left out (identity when serving).
 * The weights are copied, so the members can be disposed.
 */
export function composeHeadEnsemble(members: readonly tf.LayersModel[]): tf.LayersModel {
  if (members.length < 2) throw new Error(`head ensemble: needs at least 2 members, got ${members.length}`);
  const affine = (m: tf.LayersModel) => {
    const layer = m.getLayer('feature_standardise');
    const [gamma, beta, mean, variance] = layer.getWeights().map((w) => w.dataSync() as Float32Array);
    const eps = (layer.getConfig() as { epsilon: number }).epsilon;
    // BN(x) = a * x + c
    const a = gamma.map((g, i) => g / Math.sqrt(variance[i] + eps));
    return { a, c: beta.map((b, i) => b - a[i] * mean[i]), eps };
  };
  const base = affine(members[0]);
  const d = base.a.length;
  const input = tf.input({ shape: [d], name: 'head_input' });
  const standardised = tf.layers
    .batchNormalization({ name: 'feature_standardise', epsilon: 1e-3, trainable: false, weights: members[0].getLayer('feature_standardise').getWeights() })
    .apply(input) as tf.SymbolicTensor;
  const outs = members.map((m, k) => {
    const own = affine(m);
    if (own.a.length !== d) throw new Error(`head ensemble: member ${k} takes ${own.a.length} features, member 0 ${d}`);
    const [kernelT, biasT] = m.getLayer('head_softmax').getWeights();
    const units = kernelT.shape[1] ?? 0;
    const kernel = kernelT.dataSync() as Float32Array;
    const bias = Float64Array.from(biasT.dataSync());
    // Member k sees BN_k(x) = r * z0 + (c_k - r * c_0), z0 = BN_0(x), r = a_k / a_0: fold it into its Dense.
    const folded = new Float32Array(kernel.length);
    for (let i = 0; i < d; i++) {
      const r = own.a[i] / base.a[i];
      const shift = own.c[i] - r * base.c[i];
      for (let j = 0; j < units; j++) {
        folded[i * units + j] = kernel[i * units + j] * r;
        bias[j] += kernel[i * units + j] * shift;
      }
    }
    const weights = [tf.tensor2d(folded, [d, units]), tf.tensor1d(Float32Array.from(bias))];
    return tf.layers.dense({ name: `head_softmax_${k}`, units, activation: 'softmax', weights }).apply(standardised) as tf.SymbolicTensor;
  });
  const average = tf.layers.average({ name: HEAD_AVERAGE_LAYER }).apply(outs) as tf.SymbolicTensor;
  return tf.model({ name: 'animal_head_ensemble', inputs: input, outputs: average });
}

/**
 * Applies a transfer head (buildTransferHead's sequential head, or composeHeadEnsemble's) to a
 * symbolic tensor, sharing its layers: how the head is put on top of a backbone.
 */
export function applyHead(head: tf.LayersModel, x: tf.SymbolicTensor): tf.SymbolicTensor {
  const members = head.layers.filter((l) => /^head_softmax_\d+$/.test(l.name));
  if (members.length === 0) {
    for (const layer of head.layers) x = layer.apply(x) as tf.SymbolicTensor;
    return x;
  }
  const standardised = head.getLayer('feature_standardise').apply(x) as tf.SymbolicTensor;
  return head.getLayer(HEAD_AVERAGE_LAYER).apply(members.map((m) => m.apply(standardised) as tf.SymbolicTensor)) as tf.SymbolicTensor;
}
