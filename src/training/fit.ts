/**
 * A training loop over a compiled tfjs LayersModel: one `model.fit` / `model.fitDataset` call per
 * epoch, with seeded shuffling, class weights, early stopping (restoring the best weights),
 * learning-rate schedules (reduce on plateau, cosine, or a function), best-model checkpoints and
 * progress on stderr. Data is either tensors or a batch generator.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { saveLayersModelToDir } from '../inference/layers-model-dir.js';
import { TrainingProgress, type ProgressMode, type ProgressStream } from './progress.js';
import { createRng, seededPermutation } from './seeding.js';

export interface TensorData {
  x: tf.Tensor | tf.Tensor[];
  y: tf.Tensor;
}

export interface Batch {
  xs: tf.Tensor | tf.Tensor[];
  ys: tf.Tensor;
}

/** Called once per epoch; yields that epoch's batches (tensors it yields are disposed by tfjs). */
export type BatchGenerator = () => Iterator<Batch> | AsyncIterator<Batch>;

export type LrSchedule =
  | { kind: 'reduceOnPlateau'; factor?: number; patience?: number; minLr?: number; minDelta?: number; monitor?: string }
  | { kind: 'cosine'; minLr?: number; warmupEpochs?: number }
  | ((epoch: number, currentLr: number) => number);

export interface EarlyStoppingOptions {
  /** Metric to watch (default val_loss when there is validation data, else loss). */
  monitor?: string;
  patience: number;
  minDelta?: number;
  /** Put back the weights of the best epoch at the end (default true). */
  restoreBestWeights?: boolean;
}

export interface FitOptions {
  epochs: number;
  /** Batch size for tensor data (default 32). */
  batchSize?: number;
  /** For generators: batches per epoch, used for the progress bar's ETA only. */
  batchesPerEpoch?: number;
  validation?: TensorData | BatchGenerator;
  /** Seed for the per-epoch shuffle of tensor data (default 1); null = no shuffle. */
  shuffleSeed?: number | null;
  /** Weight per class index, applied to the loss. */
  classWeight?: Record<number, number>;
  earlyStopping?: EarlyStoppingOptions;
  lrSchedule?: LrSchedule;
  /** Save the best model (model.json + weights.bin + checkpoint.json) into this folder. */
  checkpointDir?: string;
  /** Metric that decides "best" for checkpoints when there is no early stopping (default as early stopping). */
  monitor?: string;
  progress?: ProgressMode;
  progressStream?: ProgressStream;
  onEpochEnd?: (epoch: number, logs: Record<string, number>) => void | Promise<void>;
}

export interface FitHistory {
  epochs: number;
  loss: number[];
  acc?: number[];
  val_loss?: number[];
  val_acc?: number[];
  lr: number[];
  /** Every metric tfjs reported, per epoch. */
  metrics: Record<string, number[]>;
  monitor: string;
  bestEpoch: number;
  bestValue: number;
  stoppedEarly: boolean;
  restoredBestWeights: boolean;
}

type LearningRateHolder = { learningRate?: number; setLearningRate?: (lr: number) => void };

export function getLearningRate(model: tf.LayersModel): number {
  const lr = (model.optimizer as unknown as LearningRateHolder | undefined)?.learningRate;
  if (typeof lr !== 'number') throw new Error('fit: the model optimizer has no numeric learningRate (compile the model first)');
  return lr;
}

export function setLearningRate(model: tf.LayersModel, lr: number): void {
  if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`fit: learning rate must be a positive number, got ${lr}`);
  const opt = model.optimizer as unknown as LearningRateHolder;
  if (typeof opt.setLearningRate === 'function') opt.setLearningRate(lr);
  else opt.learningRate = lr;
}

function isMaximized(metric: string): boolean {
  return /acc|auc|precision|recall|f1/i.test(metric);
}

function improved(value: number, best: number, metric: string, minDelta: number): boolean {
  if (!Number.isFinite(value)) return false;
  return isMaximized(metric) ? value > best + minDelta : value < best - minDelta;
}

function listOf(x: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(x) ? x : [x];
}

function sampleCount(data: TensorData): number {
  const n = data.y.shape[0];
  for (const t of listOf(data.x)) {
    if (t.shape[0] !== n) throw new Error(`fit: x has ${t.shape[0]} samples but y has ${n}`);
  }
  if (!n) throw new Error('fit: training data is empty');
  return n;
}

function checkOptions(o: FitOptions): void {
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new Error(`fit: epochs must be a positive integer, got ${o.epochs}`);
  if (o.batchSize !== undefined && (!Number.isInteger(o.batchSize) || o.batchSize < 1)) {
    throw new Error(`fit: batchSize must be a positive integer, got ${o.batchSize}`);
  }
  if (o.earlyStopping && (!Number.isInteger(o.earlyStopping.patience) || o.earlyStopping.patience < 0)) {
    throw new Error(`fit: earlyStopping.patience must be a non-negative integer, got ${o.earlyStopping.patience}`);
  }
}

/** Learning rate for `epoch` under a cosine schedule from `baseLr` down to `minLr`. */
export function cosineLearningRate(epoch: number, epochs: number, baseLr: number, minLr = 0, warmupEpochs = 0): number {
  if (epoch < warmupEpochs) return (baseLr * (epoch + 1)) / (warmupEpochs + 1);
  const span = Math.max(1, epochs - warmupEpochs);
  const t = Math.min(1, (epoch - warmupEpochs) / span);
  return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * t));
}

/**
 * Train `model` (already compiled) and return the per-epoch history. With tensor data the rows
 * are shuffled each epoch by a seeded permutation (reproducible given seeded initializers).
 */
export async function fitModel(
  model: tf.LayersModel,
  data: TensorData | BatchGenerator,
  options: FitOptions,
): Promise<FitHistory> {
  checkOptions(options);
  if (!model.optimizer) throw new Error('fit: compile the model (optimizer, loss) before training');
  const epochs = options.epochs;
  const batchSize = options.batchSize ?? 32;
  const hasValidation = options.validation !== undefined;
  const monitor = options.earlyStopping?.monitor ?? options.monitor ?? (hasValidation ? 'val_loss' : 'loss');
  const progress = new TrainingProgress(epochs, options.progress ?? 'auto', options.progressStream ?? process.stderr);
  const rng = options.shuffleSeed === null ? null : createRng(options.shuffleSeed ?? 1);
  const numSamples = typeof data === 'function' ? undefined : sampleCount(data);
  const batchesPerEpoch = numSamples !== undefined ? Math.ceil(numSamples / batchSize) : options.batchesPerEpoch;

  const metrics: Record<string, number[]> = {};
  const lrHistory: number[] = [];
  const baseLr = getLearningRate(model);
  let best = isMaximized(monitor) ? -Infinity : Infinity;
  let bestEpoch = -1;
  let bestWeights: tf.Tensor[] | null = null;
  let sinceBest = 0;
  let plateauBest = Infinity;
  let plateauWait = 0;
  let stoppedEarly = false;
  const restore = options.earlyStopping ? options.earlyStopping.restoreBestWeights !== false : false;

  let validationData: [tf.Tensor | tf.Tensor[], tf.Tensor] | tf.data.Dataset<tf.TensorContainer> | undefined;
  if (options.validation !== undefined) {
    const v = options.validation;
    validationData =
      typeof v === 'function'
        ? tf.data.generator(v as unknown as () => Iterator<tf.TensorContainer>)
        : [v.x, v.y];
  }

  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      // Learning rate for this epoch.
      const schedule = options.lrSchedule;
      if (typeof schedule === 'function') setLearningRate(model, schedule(epoch, getLearningRate(model)));
      else if (schedule?.kind === 'cosine') {
        setLearningRate(model, Math.max(1e-12, cosineLearningRate(epoch, epochs, baseLr, schedule.minLr ?? 0, schedule.warmupEpochs ?? 0)));
      }
      const lr = getLearningRate(model);
      progress.epochStart();
      const callbacks = {
        onBatchEnd: async (batch: number, logs?: tf.Logs) => {
          progress.batchEnd(epoch, batch, batchesPerEpoch, (logs ?? {}) as Record<string, number>);
        },
      };
      let h: tf.History;
      if (typeof data === 'function') {
        const ds = tf.data.generator(data as unknown as () => Iterator<tf.TensorContainer>);
        h = await model.fitDataset(ds, {
          epochs: 1,
          verbose: 0,
          classWeight: options.classWeight,
          validationData: validationData as tf.data.Dataset<tf.TensorContainer> | [tf.Tensor, tf.Tensor] | undefined,
          callbacks,
        });
      } else {
        const n = numSamples as number;
        const order = rng ? tf.tensor1d(seededPermutation(n, rng), 'int32') : null;
        const xs = listOf(data.x).map((t) => (order ? tf.gather(t, order) : t));
        const ys = order ? tf.gather(data.y, order) : data.y;
        try {
          h = await model.fit(Array.isArray(data.x) ? xs : (xs[0] as tf.Tensor), ys, {
            epochs: 1,
            batchSize,
            shuffle: false,
            verbose: 0,
            yieldEvery: 'never',
            classWeight: options.classWeight,
            validationData: validationData as [tf.Tensor, tf.Tensor] | undefined,
            callbacks,
          });
        } finally {
          if (order) {
            order.dispose();
            xs.forEach((t) => t.dispose());
            ys.dispose();
          }
        }
      }
      const logs: Record<string, number> = {};
      for (const [k, vals] of Object.entries(h.history)) {
        const v = vals[vals.length - 1];
        logs[k] = typeof v === 'number' ? v : (v as tf.Tensor).dataSync()[0] as number;
        (metrics[k] ??= []).push(logs[k] as number);
      }
      lrHistory.push(lr);
      const value = logs[monitor];
      if (value === undefined) {
        throw new Error(`fit: monitored metric '${monitor}' not in the epoch logs (${Object.keys(logs).join(', ')})`);
      }

      let note = '';
      if (improved(value, best, monitor, options.earlyStopping?.minDelta ?? 0)) {
        best = value;
        bestEpoch = epoch;
        sinceBest = 0;
        if (restore) {
          bestWeights?.forEach((t) => t.dispose());
          bestWeights = model.getWeights().map((w) => tf.keep(w.clone()));
        }
        if (options.checkpointDir) {
          await saveLayersModelToDir(model, options.checkpointDir);
          await writeFile(
            join(options.checkpointDir, 'checkpoint.json'),
            JSON.stringify({ epoch: epoch + 1, monitor, value, logs, lr }, null, 2),
          );
          note = 'checkpoint saved';
        }
      } else {
        sinceBest++;
      }

      if (schedule && typeof schedule !== 'function' && schedule.kind === 'reduceOnPlateau') {
        const pm = schedule.monitor ?? monitor;
        const pv = logs[pm];
        if (pv === undefined) throw new Error(`fit: reduceOnPlateau metric '${pm}' not in the epoch logs`);
        const signed = isMaximized(pm) ? -pv : pv;
        if (signed < plateauBest - (schedule.minDelta ?? 1e-4)) {
          plateauBest = signed;
          plateauWait = 0;
        } else if (++plateauWait > (schedule.patience ?? 2)) {
          const next = Math.max(schedule.minLr ?? 1e-6, lr * (schedule.factor ?? 0.5));
          if (next < lr) {
            setLearningRate(model, next);
            note = `${note ? `${note}; ` : ''}lr -> ${next.toExponential(2)}`;
          }
          plateauWait = 0;
        }
      }

      progress.epochEnd(epoch, { ...logs, lr }, note);
      await options.onEpochEnd?.(epoch, logs);
      if (options.earlyStopping && sinceBest > options.earlyStopping.patience) {
        stoppedEarly = true;
        break;
      }
    }

    let restoredBestWeights = false;
    if (restore && bestWeights && bestEpoch !== (metrics[monitor]?.length ?? 0) - 1) {
      model.setWeights(bestWeights);
      restoredBestWeights = true;
    }
    const ran = metrics.loss?.length ?? 0;
    progress.finish(
      `${stoppedEarly ? 'early stop' : 'done'} after ${ran} epoch(s); best ${monitor} ${best.toFixed(4)} at epoch ${bestEpoch + 1}` +
        (restoredBestWeights ? ' (weights restored)' : ''),
    );
    return {
      epochs: ran,
      loss: metrics.loss ?? [],
      acc: metrics.acc,
      val_loss: metrics.val_loss,
      val_acc: metrics.val_acc,
      lr: lrHistory,
      metrics,
      monitor,
      bestEpoch,
      bestValue: best,
      stoppedEarly,
      restoredBestWeights,
    };
  } finally {
    bestWeights?.forEach((t) => t.dispose());
  }
}
