/**
 * `train image` on a few real photos per class publishes a version whose report has the training
 * sections and every image-analysis section (the same module as `analyze images`), with the
 * analyses' summary in the printed result. Models and feature caches go to temporary folders.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readVersion } from '../../src/models/model-repository.js';
import { decodeOnnxModel } from '../../src/inference/onnx/onnx-proto.js';
import { isGateNode } from '../../src/inference/onnx/distance-gate.js';
import { dataRoot } from '../../src/core/paths.js';
import { escapeHtml } from '../../src/analysis/report.js';
import { IMAGE_ANALYSIS_SECTION_TITLES } from '../../src/training/image/image-analyses-report.js';
import { trainImage, type TrainImageResult } from '../../src/training/image/train.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'streamlens-train-image-cache-'));
const modelsDir = mkdtempSync(join(tmpdir(), 'streamlens-train-image-models-'));
const previousCache = process.env.STREAMLENS_CACHE;

describe('train image report', () => {
  let result: TrainImageResult;
  beforeAll(async () => {
    process.env.STREAMLENS_CACHE = cacheDir;
    result = await trainImage({ data: join(dataRoot(), 'animals'), out: modelsDir, limitPerClass: 12, epochs: 6, cnnEpochs: 1, patience: 2, searchBudget: 1, log: () => {} });
  }, 900_000);
  afterAll(() => {
    if (previousCache === undefined) delete process.env.STREAMLENS_CACHE;
    else process.env.STREAMLENS_CACHE = previousCache;
    rmSync(cacheDir, { recursive: true, force: true });
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it('has the training sections and every analysis section, and the analyses in its JSON', () => {
    const html = readFileSync(join(result.shipped.dir!, 'report.html'), 'utf8');
    for (const t of ['Data and protocol', 'Held-out test results', 'CNN from scratch (3 x Conv2D + MaxPool, 64x64): per class (test)', ...Object.values(IMAGE_ANALYSIS_SECTION_TITLES)]) {
      expect(html, t).toContain(`<h2>${escapeHtml(t)}</h2>`);
    }
    expect(html).toContain('streamlens train image --data DIR');
    const a = result.analyses as { models: Record<string, { testAccuracy: number }>; search: { trials: number } };
    expect(Object.keys(a.models)).toEqual(['served', 'rgb', 'gray', 'searched', 'cnn', 'zero-shot']);
    expect(a.search.trials).toBe(2);
    // The CNN of the run itself is the one compared (not a second one trained by the analyses).
    const cnn = result.results.find((r) => r.kind === 'cnn')!;
    expect(a.models.cnn.testAccuracy).toBe(cnn.test.accuracy);
  });

  it('ships the Mahalanobis "none of these" gates in both served graphs by default, and reports the gated model', () => {
    const v = readVersion(result.shipped.dir!);
    const gate = (v.manifest.training as { oodGate?: { full: { maxDistance: number; covariance: string }; fast: { maxDistance: number } | null } }).oodGate;
    expect(gate?.full.covariance).toBe('per-class');
    expect(gate?.full.maxDistance).toBeGreaterThan(0);
    for (const file of [v.manifest.files.onnx!, ...(v.manifest.files.fastOnnx ? [v.manifest.files.fastOnnx] : [])]) {
      expect(decodeOnnxModel(new Uint8Array(readFileSync(join(v.dir, file)))).graph.node.some(isGateNode), file).toBe(true);
    }
    expect(result.results.map((r) => r.kind)).toContain(v.manifest.cascade ? 'transfer-cascade-gated' : 'transfer-ood-gated');
    expect(v.manifest.maxBatchSize).toBe(8);
    expect(readFileSync(join(v.dir, 'report.html'), 'utf8')).toContain('Mahalanobis');
  });
});
