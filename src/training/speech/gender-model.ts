import * as tf from '@tensorflow/tfjs';
import { createRng, seededInitializers, seededPermutation } from '../seeding.js';
import type { EpochLog } from './fit-speech.js';
import type { WindowData } from './window-data.js';

export interface FrameModelOptions {
  /** Frames per input; null = any length (training on crops). */
  frames: number | null;
  features: number;
  classes: number;
  seed: number;
  /** Units of the first per-frame layer (default 32; the second has half). */
  units?: number;
  dropout?: number;
}

/**
 * Speaker gender net over one feature window [frames, features]: two per-frame dense layers (ReLU),
 * average over time, dropout, softmax. Voice cues (spectral envelope, harmonic ripple) live in
 * single frames, so a per-frame model needs no convolution; it is ~7x cheaper to train than the
 * speech 'cnn' on the wasm backend and length-agnostic (trained on crops, served on whole windows).
 * Every layer converts to ONNX (Dense on 3-D input -> MatMul + Add, GlobalAveragePool, Softmax).
 */
export function buildFrameModel(o: FrameModelOptions): tf.LayersModel {
  const init = seededInitializers(o.seed);
  const units = o.units ?? 32;
  const input = tf.input({ shape: [o.frames, o.features], name: 'features' });
  let x = tf.layers.dense({ units, activation: 'relu', kernelInitializer: init.heNormal(), name: 'frame_1' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: Math.max(2, Math.round(units / 2)), activation: 'relu', kernelInitializer: init.heNormal(), name: 'frame_2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling1d({ name: 'time_mean' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: o.dropout ?? 0.2, seed: o.seed, name: 'dropout' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: o.classes, activation: 'softmax', kernelInitializer: init.glorotUniform(), name: 'probs' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'speaker_gender_frames' });
}

/** The same net with a fixed frame count and the trained weights (what gets exported and served). */
export function withFixedFrames(trained: tf.LayersModel, o: Omit<FrameModelOptions, 'frames'> & { frames: number }): tf.LayersModel {
  const fixed = buildFrameModel(o);
  fixed.setWeights(trained.getWeights());
  return fixed;
}

export interface FitFrameModelOptions {
  epochs: number;
  /** Frames of the random crop taken from each training window every epoch. */
  cropFrames: number;
  batchSize?: number;
  learningRate?: number;
  classWeights?: number[];
  seed: number;
  onEpoch?: (epoch: number, log: EpochLog) => void;
}

/**
 * Adam with cosine learning-rate decay on one seeded random crop of every window per epoch
 * (shuffled with a seeded permutation), class-weighted cross-entropy.
 */
export async function fitFrameModel(model: tf.LayersModel, data: WindowData, o: FitFrameModelOptions): Promise<EpochLog[]> {
  const crop = Math.min(o.cropFrames, data.frames);
  const lr0 = o.learningRate ?? 3e-3;
  const optimizer = tf.train.adam(lr0);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const classes = model.outputs[0].shape.at(-1) as number;
  const rng = createRng(o.seed);
  const F = data.features;
  const logs: EpochLog[] = [];
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const t0 = performance.now();
    const lr = o.epochs > 1 ? lr0 * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * epoch) / (o.epochs - 1)))) : lr0;
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    const order = seededPermutation(data.n, rng);
    const x = new Float32Array(data.n * crop * F);
    const y = new Float32Array(data.n * classes);
    for (let i = 0; i < data.n; i++) {
      const src = order[i];
      const start = Math.floor(rng() * (data.frames - crop + 1));
      const from = (src * data.frames + start) * F;
      x.set(data.x.subarray(from, from + crop * F), i * crop * F);
      y[i * classes + data.y[src]] = 1;
    }
    const xs = tf.tensor3d(x, [data.n, crop, F]);
    const ys = tf.tensor2d(y, [data.n, classes]);
    const classWeight = o.classWeights ? Object.fromEntries(o.classWeights.map((w, i) => [i, w])) : undefined;
    const h = await model.fit(xs, ys, { epochs: 1, batchSize: o.batchSize ?? 32, shuffle: false, classWeight, verbose: 0 });
    xs.dispose();
    ys.dispose();
    const log: EpochLog = {
      epoch: epoch + 1,
      loss: Number(h.history.loss[0]),
      acc: Number((h.history.acc ?? h.history.accuracy)?.[0] ?? NaN),
      lr,
      seconds: (performance.now() - t0) / 1000,
    };
    logs.push(log);
    o.onEpoch?.(log.epoch, log);
  }
  return logs;
}
