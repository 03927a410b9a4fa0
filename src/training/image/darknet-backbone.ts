import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { darknetDir } from './zero-shot-classes.js';

/** Layer whose global-average-pooled output is the 512-d "penultimate" feature used by the transfer head. */
export const DARKNET_FEATURE_LAYER = 'leaky_re_lu_14';
export const DARKNET_FEATURE_SIZE = 512;

interface WeightsGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

/**
 * Loads Darknet-Tiny (tfjs LayersModel: model.json + shards) from disk, with its input set to
 * `inputSize` x `inputSize` (default 224; the convolutions and the global pooling take any size).
 */
export async function loadDarknetTiny(dir = darknetDir(), inputSize = 224): Promise<tf.LayersModel> {
  if (!Number.isInteger(inputSize) || inputSize < 32 || inputSize % 16 !== 0) throw new Error(`Darknet-Tiny input size must be a multiple of 16 (>= 32), got ${inputSize}`);
  const jsonPath = join(dir, 'model.json');
  let json: { modelTopology: object; weightsManifest: WeightsGroup[] };
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (e) {
    throw new Error(`Darknet-Tiny not readable at ${jsonPath}: ${(e as Error).message} (set STREAMLENS_SHARED_MODELS)`);
  }
  const topology = json.modelTopology as { model_config?: { config: { layers: Array<{ config: { batch_input_shape?: unknown[] } }> } }; config?: { layers: Array<{ config: { batch_input_shape?: unknown[] } }> } };
  const first = (topology.model_config ?? topology).config?.layers[0]?.config;
  if (!first?.batch_input_shape) throw new Error(`Darknet-Tiny at ${jsonPath}: no input layer shape in the topology`);
  first.batch_input_shape = [null, inputSize, inputSize, 3];
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) buffers.push(readFileSync(join(dir, p)));
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}

/**
 * A model over Darknet-Tiny with two outputs: the global-average-pooled activations of
 * `DARKNET_FEATURE_LAYER` ([batch, 512]) and the 1000 ImageNet logits.
 */
export function darknetFeatureModel(darknet: tf.LayersModel): tf.LayersModel {
  const feat = darknet.getLayer(DARKNET_FEATURE_LAYER).output as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'feature_pool' }).apply(feat) as tf.SymbolicTensor;
  return tf.model({ inputs: darknet.inputs, outputs: [pooled, darknet.outputs[0]] });
}

/**
 * The cascade's fast feature model: Darknet-Tiny run on the input downsampled by `factor` (an
 * average pool, inside the graph): input [batch, s, s, 3] -> AveragePooling2D(factor) -> Darknet-Tiny
 * at s/factor -> global average pool of DARKNET_FEATURE_LAYER ([batch, 512]). It takes exactly the full
 * model's input, so one prepared frame feeds both. `darknet` must be loaded at s/factor.
 */
export function downsampledFeatureModel(darknet: tf.LayersModel, factor: number): tf.LayersModel {
  const [, h, w, c] = darknet.inputs[0].shape as number[];
  const input = tf.input({ shape: [h * factor, w * factor, c], name: 'image' });
  let x = tf.layers.averagePooling2d({ name: 'downsample', poolSize: factor, strides: factor, padding: 'valid' }).apply(input) as tf.SymbolicTensor;
  // Darknet-Tiny is a plain chain: replay its layers, in order, on the pooled tensor.
  for (const layer of darknet.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    x = layer.apply(x) as tf.SymbolicTensor;
    if (layer.name === DARKNET_FEATURE_LAYER) {
      const pooled = tf.layers.globalAveragePooling2d({ name: 'feature_pool' }).apply(x) as tf.SymbolicTensor;
      return tf.model({ name: 'darknet_tiny_fast_features', inputs: input, outputs: pooled });
    }
  }
  throw new Error(`Darknet-Tiny has no layer ${DARKNET_FEATURE_LAYER}`);
}
