import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageMetrics } from '../../src/core/metrics.js';
import { dataRoot } from '../../src/core/paths.js';
import { preprocessImage } from '../../src/features/image/preprocess.js';
import { DARKNET_INPUT_SETTINGS } from '../../src/features/image/settings.js';
import { CascadeSession } from '../../src/inference/cascade-session.js';
import { loadClassifier } from '../../src/inference/classifier-loader.js';
import { ModelLoadError } from '../../src/models/manifest.js';
import { publishVersion, readVersion, type ModelVersion } from '../../src/models/model-repository.js';
import { exportToOnnx } from '../../src/training/onnx-export/index.js';
import type { InferenceSession, TensorResult } from '../../src/inference/session.js';
import { calibrateCascade, cascadeProbs, composeFastModel } from '../../src/training/image/cascade.js';
import { DARKNET_FEATURE_SIZE, loadDarknetTiny } from '../../src/training/image/darknet-backbone.js';
import { listImageDataset, splitDataset } from '../../src/ingest/image-dataset.js';
import { buildTransferHead, composeTransferModel } from '../../src/training/image/models.js';

/** A fake 3-class session over 1-value items: item v -> [v, (1-v)/2, (1-v)/2] (fast) or a fixed answer (full). Records batch sizes. */
function fakeSession(kind: 'fast' | 'full'): InferenceSession & { batches: number[][] } {
  const batches: number[][] = [];
  return {
    runtime: `fake/${kind}`,
    inputName: 'x',
    outputName: 'p',
    batches,
    async run(input: Float32Array, shape: readonly number[]): Promise<TensorResult> {
      batches.push(Array.from(input));
      const out = new Float32Array(shape[0] * 3);
      for (let i = 0; i < shape[0]; i++) out.set(kind === 'fast' ? [input[i], (1 - input[i]) / 2, (1 - input[i]) / 2] : [0.1, 0.1 + input[i] / 10, 0.8 - input[i] / 10], i * 3);
      return { data: out, shape: [shape[0], 3] };
    },
    async dispose() {},
  };
}

describe('CascadeSession', () => {
  it('keeps the fast answers at or above the threshold and sends only the others to the full model', async () => {
    const fast = fakeSession('fast');
    const full = fakeSession('full');
    const c = new CascadeSession(fast, full, 0.8);
    const out = await c.run(Float32Array.from([0.95, 0.5, 0.8, 0.3]), [4, 1]);
    expect(full.batches).toEqual([[0.5, Math.fround(0.3)]]);
    const row = (i: number) => Array.from(out.data.subarray(i * 3, i * 3 + 3));
    const close = (a: number[], b: number[]) => a.forEach((v, j) => expect(v).toBeCloseTo(b[j], 6));
    close(row(0), [0.95, 0.025, 0.025]);
    close(row(1), [0.1, 0.15, 0.75]);
    close(row(2), [0.8, 0.1, 0.1]); // exactly at the threshold: the fast answer stands
    close(row(3), [0.1, 0.13, 0.77]);
    expect(c.counts).toEqual({ items: 4, escalated: 2 });
    expect(c.runtime).toBe('fake/full+cascade');
  });

  it('answers an item the same alone as in any batch', async () => {
    const c = new CascadeSession(fakeSession('fast'), fakeSession('full'), 0.7);
    const items = [0.9, 0.2, 0.71, 0.69, 0.4];
    const batched = await c.run(Float32Array.from(items), [items.length, 1]);
    for (let i = 0; i < items.length; i++) {
      const alone = await c.run(Float32Array.from([items[i]]), [1, 1]);
      expect(Array.from(alone.data)).toEqual(Array.from(batched.data.subarray(i * 3, i * 3 + 3)));
    }
  });

  it('skips the full model when every item is confident, and refuses a bad threshold or input', async () => {
    const full = fakeSession('full');
    const c = new CascadeSession(fakeSession('fast'), full, 0.6);
    await c.run(Float32Array.from([0.9, 0.99]), [2, 1]);
    expect(full.batches).toHaveLength(0);
    expect(() => new CascadeSession(fakeSession('fast'), full, 0)).toThrow(/threshold must be in \(0, 1\]/);
    expect(() => new CascadeSession(fakeSession('fast'), full, 1.5)).toThrow(/threshold must be in \(0, 1\]/);
    await expect(c.run(new Float32Array(3), [2, 1])).rejects.toThrow(/3 values but shape \[2, 1\] needs 2/);
  });
});

describe('cascade calibration', () => {
  // 10 validation items of class 0. The full model is right on all; the fast one is wrong on the items it is least sure of.
  const truth = Array(10).fill(0);
  const full = truth.map(() => [0.9, 0.05, 0.05]);
  const fastTop = [0.99, 0.98, 0.97, 0.96, 0.95, 0.9, 0.86, 0.72, 0.66, 0.62];
  const fast = fastTop.map((t, i) => (i < 7 ? [t, 1 - t, 0] : [1 - t, t, 0]));

  it('picks the lowest threshold that keeps the full model\'s validation accuracy within the tolerance', () => {
    const c = calibrateCascade(fast, full, truth, 0)!;
    // 0.72 (wrong) must be escalated, 0.86 may answer: the lowest grid threshold above 0.72 is 0.75.
    expect(c.threshold).toBe(0.75);
    expect(c.accuracy).toBe(1);
    expect(c.fullAccuracy).toBe(1);
    expect(c.fastAccuracy).toBe(0.7);
    expect(c.escalated).toBeCloseTo(0.3, 10);
    // Allowing one error in ten lets the 0.72 item answer: 0.7 escalates 0.66 and 0.62 only.
    expect(calibrateCascade(fast, full, truth, 0.1)!.threshold).toBe(0.7);
  });

  it('returns null when no threshold keeps the accuracy (fast model confidently wrong)', () => {
    const wrong = truth.map(() => [0, 1, 0]);
    expect(calibrateCascade(wrong, full, truth, 0)).toBeNull();
  });

  it('merges rows the way the served session does', () => {
    const { probs, escalated } = cascadeProbs([[0.9, 0.1], [0.6, 0.4]], [[0.2, 0.8], [0.3, 0.7]], 0.8);
    expect(probs).toEqual([[0.9, 0.1], [0.3, 0.7]]);
    expect(escalated).toEqual([false, true]);
  });
});

describe('a cascade model version through the served path (manifest + two ONNX graphs + loadClassifier)', () => {
  let root: string;
  let version: ModelVersion;
  let fullModel: tf.LayersModel;
  let fastModel: tf.LayersModel;
  beforeAll(async () => {
    // Seeded (untrained) heads: what is tested is that the served cascade computes the two tfjs models' cascade.
    const d = DARKNET_FEATURE_SIZE;
    const head = (seed: number) => buildTransferHead({ featureSize: d, classes: 3, seed, mean: tf.zeros([d]) as tf.Tensor1D, variance: tf.fill([d], 0.01) as tf.Tensor1D });
    fullModel = composeTransferModel(await loadDarknetTiny(), head(3));
    fastModel = composeFastModel(await loadDarknetTiny(undefined, 112), head(4), 2);
    root = mkdtempSync(join(tmpdir(), 'streamlens-cascade-'));
    version = publishVersion(
      'animal',
      {
        task: 'image-animal',
        format: 'onnx',
        files: { onnx: 'model.onnx', fastOnnx: 'fast.onnx' },
        labels: ['cat', 'dog', 'fox'],
        inputs: [{ name: fullModel.inputNames[0], shape: [-1, 224, 224, 3], dtype: 'float32' }],
        outputs: [{ name: fullModel.outputNames[0], shape: [-1, 3], dtype: 'float32' }],
        features: { kind: 'image', settings: DARKNET_INPUT_SETTINGS as unknown as Record<string, unknown> },
        cascade: { threshold: 0.9 },
        training: {},
        metrics: {},
      },
      {
        'model.onnx': Buffer.from(exportToOnnx(fullModel, { graphName: 'cascade_full_test' })),
        'fast.onnx': Buffer.from(exportToOnnx(fastModel, { graphName: 'cascade_fast_test' })),
      },
      root,
    );
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('serves exactly the cascade of the two tfjs models on held-out photos', async () => {
    const split = splitDataset(listImageDataset(join(dataRoot(), 'animals')).items, { seed: 42 });
    const files = ['cat', 'dog', 'fox'].flatMap((l) => split.test.filter((i) => i.label === l).slice(0, 3)).map((i) => i.file);
    const xs = await Promise.all(files.map(async (f) => (await preprocessImage(f, DARKNET_INPUT_SETTINGS)).data));
    const batch = tf.tensor4d(Float32Array.from(xs.flatMap((x) => Array.from(x))), [xs.length, 224, 224, 3]);
    const fastP = (fastModel.predict(batch) as tf.Tensor).arraySync() as number[][];
    const fullP = (fullModel.predict(batch) as tf.Tensor).arraySync() as number[][];
    const expected = cascadeProbs(fastP, fullP, 0.9);
    // The seeded heads must leave both kinds of answer in this batch, or the test proves less than it says.
    expect(expected.escalated.some(Boolean)).toBe(true);
    expect(expected.escalated.some((e) => !e)).toBe(true);
    const classifier = await loadClassifier(version);
    try {
      const counted = async () => {
        const values = (await stageMetrics.cascadeItems.get()).values.filter((v) => v.labels.model === 'animal' && v.labels.version === version.manifest.version);
        const snapshot = Object.fromEntries(values.map((v) => [String(v.labels.answered_by), v.value]));
        return (by: string) => snapshot[by] ?? 0;
      };
      const before = await counted();
      const out = await classifier.predict(xs);
      out.forEach((p, i) => Array.from(p).forEach((v, j) => expect(Math.abs(v - expected.probs[i][j])).toBeLessThan(1e-4)));
      // Prometheus counts which stage answered each item.
      const after = await counted();
      const escalated = expected.escalated.filter(Boolean).length;
      expect(after('full') - before('full')).toBe(escalated);
      expect(after('fast') - before('fast')).toBe(xs.length - escalated);
    } finally {
      await classifier.close();
    }
  }, 60_000);

  it('refuses a cascade manifest without its fast model, with a clear error', async () => {
    const broken = publishVersion(
      'animal',
      { ...version.manifest, files: { onnx: 'model.onnx' } },
      { 'model.onnx': { copyFrom: join(version.dir, 'model.onnx') } },
      root,
    );
    await expect(loadClassifier(readVersion(broken.dir))).rejects.toThrow(ModelLoadError);
    await expect(loadClassifier(readVersion(broken.dir))).rejects.toThrow(/cascade needs files.fastOnnx/);
  });
});
