import * as tf from '@tensorflow/tfjs';
import { decodePipeline, decodeResizedRgb, normaliseRgb } from '../../features/image/preprocess.js';
import { SMALL_CNN_INPUT_SETTINGS } from '../../features/image/settings.js';
import { fitModel, type Batch, type FitHistory } from '../fit.js';
import { createRng, seededPermutation } from '../seeding.js';
import { augmentedRgb, drawAugment, DEFAULT_AUGMENT } from './augment.js';
import type { HoldoutSplit, LabelledImage } from '../../ingest/image-dataset.js';
import { buildSmallCnn } from './models.js';

/**
 * Trains the from-scratch CNN (buildSmallCnn: 3 x Conv2D + MaxPool with L2, dropout; 64x64) on the
 * training split with a fresh random augmentation of every photo each epoch, early-stopped on the
 * validation split. Returns the model, its history and the validation / test inputs (the caller
 * disposes them).
 */
export async function trainSmallCnn(options: {
  split: HoldoutSplit<LabelledImage>;
  labels: readonly string[];
  seed: number;
  epochs: number;
  patience: number;
  log: (line: string) => void;
}): Promise<{ model: tf.LayersModel; history: FitHistory; xVal: tf.Tensor4D; xTest: tf.Tensor4D }> {
  const { split, labels, seed, patience, log } = options;
  const s = SMALL_CNN_INPUT_SETTINGS;
  const yIndex = (list: LabelledImage[]) => list.map((i) => labels.indexOf(i.label));
  // Shrink every image once (to 1.25x the input), so per-epoch augmentation is cheap.
  const shrink = async (it: LabelledImage) =>
    decodePipeline(it.file, s)
      .resize({ width: Math.round(s.width * 1.25), height: Math.round(s.height * 1.25), fit: 'fill' })
      .png({ compressionLevel: 1 })
      .toBuffer();
  const small = new Map<string, Buffer>();
  for (const it of split.train) small.set(it.id, await shrink(it));
  const plain = async (list: LabelledImage[]) => {
    const size = s.width * s.height * 3;
    const x = new Float32Array(list.length * size);
    for (let i = 0; i < list.length; i++) {
      // The served path resizes the original straight to 64x64; so does evaluation here.
      normaliseRgb((await decodeResizedRgb(list[i].file, s)).rgb, s, x, i * size);
    }
    return tf.tensor4d(x, [list.length, s.height, s.width, 3]);
  };
  const xVal = await plain(split.validation);
  const xTest = await plain(split.test);
  const rng = createRng(seed + 101);
  const trainY = yIndex(split.train);
  const batchSize = 32;
  const generator = async function* (): AsyncGenerator<Batch> {
    const perm = seededPermutation(split.train.length, rng);
    const size = s.width * s.height * 3;
    for (let start = 0; start < perm.length; start += batchSize) {
      const idx = Array.from(perm.slice(start, start + batchSize));
      const x = new Float32Array(idx.length * size);
      await Promise.all(idx.map(async (k, j) => normaliseRgb(await augmentedRgb(small.get(split.train[k].id)!, s, drawAugment(rng, DEFAULT_AUGMENT)), s, x, j * size)));
      yield { xs: tf.tensor4d(x, [idx.length, s.height, s.width, 3]), ys: tf.oneHot(idx.map((k) => trainY[k]), labels.length) };
    }
  };
  const model = buildSmallCnn({ inputSize: s.width, classes: labels.length, seed, l2: 1e-4, dropout: 0.3 });
  model.compile({ optimizer: tf.train.adam(2e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const started = Date.now();
  const history = await fitModel(model, generator, {
    epochs: options.epochs,
    batchesPerEpoch: Math.ceil(split.train.length / batchSize),
    validation: { x: xVal, y: tf.oneHot(yIndex(split.validation), labels.length) },
    earlyStopping: { monitor: 'val_loss', patience, restoreBestWeights: true },
    lrSchedule: { kind: 'reduceOnPlateau', factor: 0.5, patience: 4, minLr: 1e-4 },
    progress: 'none',
    onEpochEnd: (epoch, logs) =>
      log(`[train:image] cnn epoch ${epoch + 1}: loss ${logs.loss?.toFixed(4)} val_loss ${logs.val_loss?.toFixed(4)} val_acc ${(logs.val_acc ?? logs.val_accuracy)?.toFixed(4)} (${Math.round((Date.now() - started) / 1000)} s)`),
  });
  return { model, history, xVal, xTest };
}
