import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLayersModelFromDir } from '../../src/inference/layers-model-dir.js';
import { initTrainingBackend } from '../../src/inference/tfjs-backend.js';
import { cosineLearningRate, fitModel, type Batch } from '../../src/training/fit.js';
import { createRng, seededInitializers, seededShuffle } from '../../src/training/seeding.js';
import { maxAbsDiff } from './parity-helpers.js';

/** Two Gaussian blobs in 4-D, labels one-hot; seeded. */
function blobs(n: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D; labels: number[] } {
  const rng = createRng(seed);
  const xs: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const cls = i % 2;
    labels.push(cls);
    xs.push([0, 1, 2, 3].map((d) => (cls ? 0.8 : -0.8) * (d % 2 ? 1 : -1) + (rng() - 0.5) * 1.5));
  }
  return { x: tf.tensor2d(xs), y: tf.oneHot(tf.tensor1d(labels, 'int32'), 2) as tf.Tensor2D, labels };
}

function classifier(seed: number, lr = 0.05): tf.LayersModel {
  const init = seededInitializers(seed);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 8, activation: 'relu', ...init.dense() }),
      tf.layers.dense({ units: 2, activation: 'softmax', ...init.dense() }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(lr), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

class Capture {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

describe('fitModel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamlens-fit-'));
  const train = blobs(64, 1);
  const val = blobs(32, 2);

  beforeAll(async () => {
    await initTrainingBackend('wasm', { log: () => {} });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains on tensors and returns per-epoch loss/acc/val_loss/val_acc; one progress line per epoch off a TTY', async () => {
    const out = new Capture(false);
    const h = await fitModel(classifier(1), train, { epochs: 6, batchSize: 16, validation: val, progressStream: out });
    expect(h.epochs).toBe(6);
    for (const key of ['loss', 'acc', 'val_loss', 'val_acc'] as const) expect(h[key]).toHaveLength(6);
    expect(h.loss[5]).toBeLessThan(h.loss[0] as number);
    expect(h.val_acc?.[5]).toBeGreaterThan(0.8);
    expect(out.text.split('\n').filter((l) => l.startsWith('epoch '))).toHaveLength(6);
    expect(out.text).not.toContain('\r');
  });

  it('is reproducible with seeded initializers and the seeded shuffle', async () => {
    const a = await fitModel(classifier(5), train, { epochs: 3, batchSize: 8, shuffleSeed: 9, progress: 'none' });
    const b = await fitModel(classifier(5), train, { epochs: 3, batchSize: 8, shuffleSeed: 9, progress: 'none' });
    const c = await fitModel(classifier(5), train, { epochs: 3, batchSize: 8, shuffleSeed: 10, progress: 'none' });
    expect(a.loss).toEqual(b.loss);
    expect(a.loss).not.toEqual(c.loss);
    expect(seededShuffle([1, 2, 3, 4, 5], 3)).toEqual(seededShuffle([1, 2, 3, 4, 5], 3));
  });

  it('stops early and restores the best weights; saves the best checkpoint', async () => {
    const model = classifier(2, 0.05);
    const ckpt = join(dir, 'ckpt');
    // A learning rate that blows up after epoch 3 makes val_loss worsen, so early stopping must fire.
    const h = await fitModel(model, train, {
      epochs: 12,
      batchSize: 16,
      validation: val,
      earlyStopping: { patience: 1 },
      lrSchedule: (epoch) => (epoch < 3 ? 0.05 : 20),
      checkpointDir: ckpt,
      progress: 'none',
    });
    expect(h.stoppedEarly).toBe(true);
    expect(h.epochs).toBeLessThan(12);
    expect(h.restoredBestWeights).toBe(true);
    expect(h.bestValue).toBe(Math.min(...(h.val_loss as number[])));
    const evaluated = model.evaluate(val.x, val.y) as tf.Scalar[];
    expect(Math.abs((evaluated[0]?.dataSync()[0] as number) - h.bestValue)).toBeLessThan(1e-4);
    // The checkpoint holds the best epoch's model.
    const meta = JSON.parse(readFileSync(join(ckpt, 'checkpoint.json'), 'utf8')) as { epoch: number; value: number };
    expect(meta.epoch).toBe(h.bestEpoch + 1);
    expect(existsSync(join(ckpt, 'model.json'))).toBe(true);
    const restored = await loadLayersModelFromDir(ckpt);
    const p1 = (model.predict(val.x) as tf.Tensor).dataSync();
    const p2 = (restored.predict(val.x) as tf.Tensor).dataSync();
    expect(maxAbsDiff(p1, p2)).toBeLessThan(1e-6);
  });

  it('reduces the learning rate on a plateau', async () => {
    const h = await fitModel(classifier(3, 1e-9), train, {
      epochs: 5,
      batchSize: 32,
      lrSchedule: { kind: 'reduceOnPlateau', patience: 0, factor: 0.5, minLr: 1e-12, minDelta: 1e-3 },
      progress: 'none',
    });
    expect(h.lr[0]).toBeCloseTo(1e-9, 15);
    expect(h.lr[4]).toBeLessThan(h.lr[0] as number);
  });

  it('follows a cosine schedule', async () => {
    const h = await fitModel(classifier(4, 0.01), train, { epochs: 4, lrSchedule: { kind: 'cosine', minLr: 0.001 }, progress: 'none' });
    h.lr.forEach((lr, e) => expect(lr).toBeCloseTo(cosineLearningRate(e, 4, 0.01, 0.001), 10));
    expect(h.lr[3]).toBeLessThan(h.lr[0] as number);
  });

  it('applies class weights to the loss', async () => {
    const plain = await fitModel(classifier(6), train, { epochs: 1, batchSize: 64, shuffleSeed: null, progress: 'none' });
    const weighted = await fitModel(classifier(6), train, { epochs: 1, batchSize: 64, shuffleSeed: null, classWeight: { 0: 1, 1: 4 }, progress: 'none' });
    expect(weighted.loss[0]).toBeGreaterThan((plain.loss[0] as number) * 1.5);
  });

  it('trains from a batch generator and draws a bar with ETA on a TTY', async () => {
    const out = new Capture(true);
    const rows = train.x.arraySync();
    const onehot = train.y.arraySync();
    let epochSeed = 0;
    const batches = function* (): Generator<Batch> {
      const order = seededShuffle(rows.map((_, i) => i), ++epochSeed);
      for (let i = 0; i < order.length; i += 16) {
        const idx = order.slice(i, i + 16);
        yield { xs: tf.tensor2d(idx.map((k) => rows[k] as number[])), ys: tf.tensor2d(idx.map((k) => onehot[k] as number[])) };
      }
    };
    const h = await fitModel(classifier(7), batches, { epochs: 4, batchesPerEpoch: 4, validation: val, progress: 'bar', progressStream: out });
    expect(h.val_loss).toHaveLength(4);
    expect(h.loss[3]).toBeLessThan(h.loss[0] as number);
    expect(out.text).toContain('\r');
    expect(out.text).toMatch(/\] 4\/4/);
    expect(out.text).toMatch(/ETA/);
  });

  it('rejects bad options with clear messages', async () => {
    await expect(fitModel(classifier(8), train, { epochs: 0 })).rejects.toThrow(/epochs must be a positive integer/);
    await expect(fitModel(classifier(8), { x: train.x, y: val.y }, { epochs: 1, progress: 'none' })).rejects.toThrow(/x has 64 samples but y has 32/);
    await expect(fitModel(classifier(8), train, { epochs: 1, earlyStopping: { patience: 1, monitor: 'val_loss' }, progress: 'none' })).rejects.toThrow(/val_loss/);
  });
});
