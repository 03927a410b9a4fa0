import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataRoot } from '../../src/core/paths.js';
import { preprocessImage } from '../../src/features/image/preprocess.js';
import { DARKNET_INPUT_SETTINGS } from '../../src/features/image/settings.js';
import { loadClassifier } from '../../src/inference/classifier-loader.js';
import type { Classifier } from '../../src/inference/classifier-pool.js';
import { publishVersion, type ModelVersion } from '../../src/models/model-repository.js';
import { exportToOnnx } from '../../src/training/onnx-export/index.js';
import { backboneOutputsFor } from '../../src/training/image/backbone-features.js';
import { DARKNET_FEATURE_SIZE, loadDarknetTiny } from '../../src/training/image/darknet-backbone.js';
import { listImageDataset, splitDataset } from '../../src/ingest/image-dataset.js';
import { buildTransferHead } from '../../src/training/image/models.js';
import { animalMass, calibrateNoneGate, composeGatedTransferModel, gatedProbabilities, NONE_LABEL } from '../../src/training/image/none-gate.js';
import { labelledOutOfDistributionImages } from '../../src/training/image/ood-images.js';

describe('none gate calibration', () => {
  it('picks the largest tau that keeps the asked share of validation animals answered', () => {
    const mass = Array.from({ length: 100 }, (_, i) => 0.05 + i * 0.009);
    const headProbs = mass.map(() => [0.9, 0.05, 0.05]);
    const c = calibrateNoneGate({ headProbs, mass }, { keepAnswered: 0.99, sharpness: 40 });
    expect(c.answered).toBeGreaterThanOrEqual(0.99);
    expect(c.tau).toBeLessThan(mass[1]);
    expect(c.tau).toBeGreaterThan(mass[0] - 0.01);
    const stricter = { tau: c.tau + 0.01, sharpness: 40 };
    const answeredStricter = mass.filter((m, i) => {
      const g = gatedProbabilities(headProbs[i], m, stricter);
      return g.indexOf(Math.max(...g)) < 3;
    }).length;
    expect(answeredStricter).toBeLessThan(99);
    expect(() => calibrateNoneGate({ headProbs, mass }, { sharpness: 0 })).toThrow(/sharpness/);
  });

  it('gives probabilities that sum to 1 with "none" = 1 - s', () => {
    const g = gatedProbabilities([0.7, 0.2, 0.1], 0.02, { tau: 0.08, sharpness: 40 });
    expect(g.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(g[3]).toBeCloseTo(1 - 1 / (1 + Math.exp(-40 * (0.02 - 0.08))), 10);
  });
});

describe('gated model through the served path (manifest + ONNX + loadClassifier)', () => {
  const gate = { tau: 0.0775, sharpness: 40 };
  let root: string;
  let version: ModelVersion;
  let classifier: Classifier;
  beforeAll(async () => {
    // A seeded (untrained) head: the gate does not depend on it, so "none" vs animal is what is tested here.
    const d = DARKNET_FEATURE_SIZE;
    const head = buildTransferHead({ featureSize: d, classes: 3, seed: 5, mean: tf.zeros([d]) as tf.Tensor1D, variance: tf.ones([d]) as tf.Tensor1D });
    const model = composeGatedTransferModel(await loadDarknetTiny(), head, gate);
    root = mkdtempSync(join(tmpdir(), 'streamlens-gate-'));
    version = publishVersion(
      'animal',
      {
        task: 'image-animal',
        format: 'onnx',
        files: { onnx: 'model.onnx' },
        labels: ['cat', 'dog', 'fox', NONE_LABEL],
        inputs: [{ name: model.inputNames[0], shape: [-1, 224, 224, 3], dtype: 'float32' }],
        outputs: [{ name: model.outputNames[0], shape: [-1, 4], dtype: 'float32' }],
        features: { kind: 'image', settings: DARKNET_INPUT_SETTINGS as unknown as Record<string, unknown> },
        training: { noneGate: gate },
        metrics: {},
      },
      { 'model.onnx': Buffer.from(exportToOnnx(model, { graphName: 'gate_test' })) },
      root,
    );
    classifier = await loadClassifier(version);
  }, 60_000);
  afterAll(async () => {
    await classifier?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers "none" on generated noise, solid colours, gradients, shapes and text', async () => {
    const images = await labelledOutOfDistributionImages(3, 12);
    const xs = await Promise.all(images.map(async (g) => (await preprocessImage(g.image, DARKNET_INPUT_SETTINGS)).data));
    const out = await classifier.predict(xs);
    out.forEach((p) => {
      expect(version.manifest.labels[Array.from(p).indexOf(Math.max(...p))]).toBe(NONE_LABEL);
      expect(Array.from(p).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    });
  });

  it('applies the manifest gate (tau, a) to the ImageNet animal mass of held-out photos', async () => {
    const split = splitDataset(listImageDataset(join(dataRoot(), 'animals')).items, { seed: 42 });
    const files = ['cat', 'dog', 'fox'].flatMap((l) => split.test.filter((i) => i.label === l).slice(0, 2)).map((i) => i.file);
    const backbone = await backboneOutputsFor(files.map((file) => ({ file, variant: 'orig' as const })));
    const out = await classifier.predict(await Promise.all(files.map(async (f) => (await preprocessImage(f, DARKNET_INPUT_SETTINGS)).data)));
    const g = (version.manifest.training as { noneGate: { tau: number; sharpness: number } }).noneGate;
    files.forEach((_, i) => {
      const s = 1 / (1 + Math.exp(-g.sharpness * (animalMass(backbone[i].logits) - g.tau)));
      expect(out[i][3]).toBeCloseTo(1 - s, 3);
    });
    // Most held-out animal photos carry far more than tau of ImageNet animal mass: the gate stays open.
    expect(out.filter((p) => p[3] < 0.5).length).toBeGreaterThanOrEqual(5);
  });
});
