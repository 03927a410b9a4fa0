import * as tf from '@tensorflow/tfjs';
import { seededInitializers } from '../seeding.js';

export type SpeechModelKind = 'cnn' | 'lstm' | 'cnn-lstm';
export const SPEECH_MODEL_KINDS: readonly SpeechModelKind[] = ['cnn', 'lstm', 'cnn-lstm'];

export interface SpeechModelOptions {
  frames: number;
  features: number;
  classes: number;
  seed: number;
  /** Width multiplier of the conv / recurrent layers (default 1). */
  width?: number;
  /** Conv blocks of the cnn (2 or 3; default 2). Filters 32, 48, 64 times the width; max-pool after all but the last. */
  depth?: number;
  dropout?: number;
  l2?: number;
  /** Stacked LSTM layers of the lstm (default 1); all but the last return sequences. */
  lstmLayers?: number;
  /** Units per LSTM layer of the lstm (default 48 times the width). */
  lstmUnits?: number;
}

/**
 * Compact nets over one feature window [frames, features] (log-mel rows), softmax output.
 * All start by average-pooling time by 2 (20 ms rows -> 40 ms).
 * - cnn: `depth` (2 or 3) x (Conv1D + BatchNorm + ReLU), max-pool between, global average + max pooling,
 *   dropout, dense. The shipped emotion model (v4) has 3 blocks; the gender model 2.
 * - lstm: `lstmLayers` stacked LSTMs (default 1, of 48 x width units; `lstmUnits` overrides) over the rows,
 *   dropout, dense. The seed report's LSTM is 3 layers of 128 units.
 * - cnn-lstm: 2 conv blocks (time / 4 overall), then an LSTM over the conv features.
 * Every layer converts to ONNX (src/training/onnx-export).
 */
export function buildSpeechModel(kind: SpeechModelKind, o: SpeechModelOptions): tf.LayersModel {
  const init = seededInitializers(o.seed);
  const w = o.width ?? 1;
  const dropout = o.dropout ?? 0.3;
  const reg = o.l2 ? tf.regularizers.l2({ l2: o.l2 }) : undefined;
  const input = tf.input({ shape: [o.frames, o.features], name: 'features' });
  const convBlock = (x: tf.SymbolicTensor, filters: number, kernel: number, pool: boolean, name: string): tf.SymbolicTensor => {
    let y = tf.layers
      .conv1d({ filters, kernelSize: kernel, padding: 'same', useBias: false, kernelInitializer: init.heNormal(), kernelRegularizer: reg, name: `${name}_conv` })
      .apply(x) as tf.SymbolicTensor;
    y = tf.layers.batchNormalization({ name: `${name}_bn` }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.reLU({ name: `${name}_relu` }).apply(y) as tf.SymbolicTensor;
    if (pool) y = tf.layers.maxPooling1d({ poolSize: 2, name: `${name}_pool` }).apply(y) as tf.SymbolicTensor;
    return y;
  };
  let x: tf.SymbolicTensor = input;
  // Halve the frame rate first (cheap, and emotion cues live at >= 40 ms scales).
  x = tf.layers.averagePooling1d({ poolSize: 2, name: 'pool_in' }).apply(x) as tf.SymbolicTensor;
  if (kind === 'cnn') {
    const depth = o.depth ?? 2;
    if (depth < 2 || depth > 3) throw new Error(`cnn depth must be 2 or 3, got ${depth}`);
    x = convBlock(x, Math.round(32 * w), 5, true, 'b1');
    x = convBlock(x, Math.round(48 * w), 3, depth > 2, 'b2');
    if (depth > 2) x = convBlock(x, Math.round(64 * w), 3, false, 'b3');
    const avg = tf.layers.globalAveragePooling1d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
    const max = tf.layers.globalMaxPooling1d({ name: 'gmp' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.concatenate({ name: 'pooled' }).apply([avg, max]) as tf.SymbolicTensor;
  } else if (kind === 'lstm') {
    const layers = o.lstmLayers ?? 1;
    if (!Number.isInteger(layers) || layers < 1) throw new Error(`lstm layers must be a whole number >= 1, got ${layers}`);
    const units = o.lstmUnits ?? Math.round(48 * w);
    for (let l = 0; l < layers; l++) {
      x = tf.layers
        .lstm({
          units,
          returnSequences: l < layers - 1,
          kernelInitializer: init.glorotUniform(),
          recurrentInitializer: init.orthogonal(),
          name: l === 0 ? 'lstm' : `lstm_${l + 1}`,
        })
        .apply(x) as tf.SymbolicTensor;
    }
  } else {
    x = convBlock(x, Math.round(32 * w), 5, true, 'b1');
    x = convBlock(x, Math.round(48 * w), 3, true, 'b2');
    x = tf.layers
      .lstm({ units: Math.round(48 * w), kernelInitializer: init.glorotUniform(), recurrentInitializer: init.orthogonal(), name: 'lstm' })
      .apply(x) as tf.SymbolicTensor;
  }
  x = tf.layers.dropout({ rate: dropout, seed: o.seed, name: 'dropout' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: o.classes, activation: 'softmax', kernelInitializer: init.glorotUniform(), kernelRegularizer: reg, name: 'probs' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: `speech_${kind.replace('-', '_')}` });
}
