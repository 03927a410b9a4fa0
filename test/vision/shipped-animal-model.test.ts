import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servedTestPhotos } from './served-test-photos.js';
import { parseImageFeatureSettings } from '../../src/features/image/settings.js';
import { isGateNode } from '../../src/inference/onnx/distance-gate.js';
import { decodeOnnxModel } from '../../src/inference/onnx/onnx-proto.js';
import { resolveModel } from '../../src/models/model-repository.js';
import { headInputName } from '../../src/monitoring/embedding.js';
import { unknownThresholdBehindGate } from '../../src/training/image/mahalanobis-gate.js';
import { labelledOutOfDistributionImages } from '../../src/training/image/ood-images.js';
import { scoreServedGraphs } from '../../src/training/image/onnx-scoring.js';
import { DEFAULT_HEAD_SEEDS } from '../../src/training/image/train.js';

/** The default animal model as shipped (models/animal/4 when this was written: 5 seed heads per stage, gates in both graphs). */
describe('the shipped animal model (latest version)', () => {
  const v = resolveModel('animal');
  const training = v.manifest.training as { headSeeds?: number[]; oodGate?: { full: { maxDistance: number; keepValidation: number }; fast: { maxDistance: number } | null; generatedUnknown: number }; split: { seed: number } };
  const graph = (f: string) => decodeOnnxModel(new Uint8Array(readFileSync(join(v.dir, f)))).graph;

  it('averages its seed heads in both graphs, on one embedding that the gate reads, and reads the gate\'s uniform answer as "unknown"', () => {
    expect(training.headSeeds).toHaveLength(DEFAULT_HEAD_SEEDS);
    for (const f of [v.manifest.files.onnx!, v.manifest.files.fastOnnx!]) {
      const g = graph(f);
      const heads = g.node.filter((n) => (n.opType === 'Gemm' || n.opType === 'MatMul') && !isGateNode(n));
      expect(heads).toHaveLength(DEFAULT_HEAD_SEEDS);
      expect(new Set(heads.map((n) => n.input[0])).size).toBe(1);
      expect(g.node.filter((n) => n.opType === 'Mean')).toHaveLength(1);
      expect(g.node.some(isGateNode)).toBe(true);
      expect(headInputName(new Uint8Array(readFileSync(join(v.dir, f))))).toBe(heads[0].input[0]);
    }
    expect(v.manifest.unknownThreshold).toBe(unknownThresholdBehindGate(v.manifest.labels.length));
    expect(v.manifest.unknownThreshold).toBeGreaterThan(1 / v.manifest.labels.length);
    expect(training.oodGate?.full.keepValidation).toBe(0.98);
  });

  it('serves exactly what its manifest records on the held-out photos', async () => {
    const { split, summary, recorded } = await servedTestPhotos(v);
    expect(summary.accuracy).toBe(recorded.accuracy);
    expect(summary.unknown).toBe(recorded.unknown);
    expect(summary.confusion).toEqual(recorded.confusion);
    // What the gate costs on held-out animals: a few, never many.
    expect(summary.unknown).toBeGreaterThan(0);
    expect(summary.unknown).toBeLessThan(0.03 * split.test.length);
  }, 120_000);

  it('answers "unknown" for generated non-animal images as recorded', async () => {
    const s = parseImageFeatureSettings(v.manifest.features.settings);
    const generated = (await labelledOutOfDistributionImages(42, 36)).map((g) => g.image);
    const graphs = { onnx: new Uint8Array(readFileSync(join(v.dir, v.manifest.files.onnx!))), fastOnnx: new Uint8Array(readFileSync(join(v.dir, v.manifest.files.fastOnnx!))) };
    const served = await scoreServedGraphs(graphs, s, generated, v.manifest.labels, v.manifest.cascade?.threshold, v.manifest.unknownThreshold);
    const unknown = served.decided.filter((d) => d === 'unknown').length / served.decided.length;
    expect(unknown).toBe(training.oodGate!.generatedUnknown);
    expect(unknown).toBeGreaterThan(0.9);
  }, 60_000);
});
