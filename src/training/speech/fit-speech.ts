import * as tf from '@tensorflow/tfjs';
import { createRng, seededPermutation } from '../seeding.js';
import { argmax } from './clip-metrics.js';
import { specAugment, type SpecAugmentOptions } from './augment.js';
import type { WindowData } from './window-data.js';

export interface FitSpeechOptions {
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  /** Per-class loss weights (index = class). */
  classWeights?: number[];
  /** SpecAugment masking of every training window, fresh each epoch; null disables. */
  specAugment?: SpecAugmentOptions | null;
  seed: number;
  /**
   * Early stopping: after each epoch the windows of `validation` (held-out speakers, already
   * normalised) are scored; training stops when their accuracy has not improved for `patience`
   * epochs, and the weights of the best epoch are restored.
   */
  earlyStopping?: { validation: WindowData; patience: number };
  onEpoch?: (epoch: number, logs: EpochLog) => void | Promise<void>;
}

export interface EpochLog {
  epoch: number;
  loss: number;
  acc: number;
  lr: number;
  seconds: number;
  /** Window accuracy on the early-stopping speakers (only with earlyStopping). */
  valAcc?: number;
}

/**
 * Trains a compiled-on-the-fly speech model on windows: Adam with a cosine learning-rate decay,
 * class-weighted cross-entropy, SpecAugment masks drawn anew every epoch (seeded), shuffled
 * batches. Returns the per-epoch log.
 */
export async function fitSpeechModel(model: tf.LayersModel, data: WindowData, o: FitSpeechOptions): Promise<EpochLog[]> {
  const batchSize = o.batchSize ?? 64;
  const lr0 = o.learningRate ?? 2e-3;
  const optimizer = tf.train.adam(lr0);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const per = data.frames * data.features;
  const rng = createRng(o.seed);
  const classes = (model.outputs[0].shape.at(-1) as number) ?? 1;
  const logs: EpochLog[] = [];
  const stop = o.earlyStopping;
  let best = { acc: -Infinity, epoch: 0, weights: null as tf.Tensor[] | null };
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const t0 = performance.now();
    const lr = o.epochs > 1 ? lr0 * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * epoch) / (o.epochs - 1)))) : lr0;
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    const order = seededPermutation(data.n, rng);
    const x = new Float32Array(data.n * per);
    const y = new Float32Array(data.n * classes);
    for (let i = 0; i < data.n; i++) {
      const src = order[i];
      const win = x.subarray(i * per, (i + 1) * per);
      win.set(data.x.subarray(src * per, (src + 1) * per));
      if (o.specAugment !== null) specAugment(win, data.frames, data.features, rng, o.specAugment);
      y[i * classes + data.y[src]] = 1;
    }
    const xs = tf.tensor3d(x, [data.n, data.frames, data.features]);
    const ys = tf.tensor2d(y, [data.n, classes]);
    const classWeight = o.classWeights ? Object.fromEntries(o.classWeights.map((w, i) => [i, w])) : undefined;
    const h = await model.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, classWeight, verbose: 0 });
    xs.dispose();
    ys.dispose();
    const log: EpochLog = {
      epoch: epoch + 1,
      loss: Number(h.history.loss[0]),
      acc: Number((h.history.acc ?? h.history.accuracy)?.[0] ?? NaN),
      lr,
      seconds: (performance.now() - t0) / 1000,
    };
    if (stop) {
      log.valAcc = windowAccuracy(model, stop.validation);
      if (log.valAcc > best.acc) {
        best.weights?.forEach((t) => t.dispose());
        best = { acc: log.valAcc, epoch: log.epoch, weights: model.getWeights().map((t) => t.clone()) };
      }
    }
    logs.push(log);
    await o.onEpoch?.(log.epoch, log);
    if (stop && log.epoch - best.epoch >= stop.patience) break;
  }
  if (best.weights) {
    model.setWeights(best.weights);
    best.weights.forEach((t) => t.dispose());
  }
  return logs;
}

/** Fraction of windows whose most probable class is their label. */
function windowAccuracy(model: tf.LayersModel, data: WindowData): number {
  const probs = predictWindows(model, data.x, data.frames, data.features);
  let correct = 0;
  probs.forEach((p, i) => {
    if (argmax(p) === data.y[i]) correct++;
  });
  return correct / Math.max(1, probs.length);
}

/** Class probabilities of each window, [n][classes], in batches. */
export function predictWindows(model: tf.LayersModel, x: Float32Array, frames: number, features: number, batchSize = 256): Float32Array[] {
  const per = frames * features;
  const n = x.length / per;
  const out: Float32Array[] = [];
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const probs = tf.tidy(() => model.predict(tf.tensor3d(x.subarray(s * per, (s + m) * per), [m, frames, features])) as tf.Tensor);
    const flat = probs.dataSync() as Float32Array;
    probs.dispose();
    const c = flat.length / m;
    for (let i = 0; i < m; i++) out.push(flat.slice(i * c, (i + 1) * c));
  }
  return out;
}

/** Inverse-frequency class weights, mean 1 over present classes. */
export function balancedClassWeights(y: Int32Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const v of y) counts[v]++;
  const present = counts.filter((c) => c > 0).length;
  return counts.map((c) => (c > 0 ? y.length / (present * c) : 0));
}
