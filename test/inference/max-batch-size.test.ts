import * as ort from 'onnxruntime-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadClassifier } from '../../src/inference/classifier-loader.js';
import { ClassifierPool } from '../../src/inference/classifier-pool.js';
import { parseManifest } from '../../src/models/manifest.js';
import { resolveModel, type ModelVersion } from '../../src/models/model-repository.js';
import type { LoadedModel } from '../../src/inference/model-server.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishLinearModel } from './linear-test-model.js';

/** The manifest's maxBatchSize (Triton's max_batch_size): every model run is cut to it. */
afterEach(() => vi.restoreAllMocks());

describe('manifest maxBatchSize', () => {
  it('is validated: a positive integer', () => {
    const base = resolveModel('animal').manifest;
    expect(() => parseManifest('x', { ...base, maxBatchSize: 0 })).toThrow(/maxBatchSize/);
    expect(() => parseManifest('x', { ...base, maxBatchSize: 2.5 })).toThrow(/maxBatchSize/);
    expect(parseManifest('x', { ...base, maxBatchSize: 4 }).maxBatchSize).toBe(4);
  });

  it('the shipped animal model declares 8, and the loader never runs its graphs on more', async () => {
    const v = resolveModel('animal');
    expect(v.manifest.maxBatchSize).toBe(8);
    const classifier = await loadClassifier(v);
    const batches: number[] = [];
    const proto = (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype;
    const run = proto.run;
    vi.spyOn(proto, 'run').mockImplementation(function (this: ort.InferenceSession, feeds: ort.InferenceSession.FeedsType, ...rest: unknown[]) {
      batches.push(Number(Object.values(feeds)[0].dims[0]));
      return (run as (...a: unknown[]) => Promise<ort.InferenceSession.ReturnType>).call(this, feeds, ...rest);
    });
    const items = Array.from({ length: 19 }, (_, i) => new Float32Array(224 * 224 * 3).fill((i % 5) / 5));
    const all = await classifier.predict(items);
    expect(all).toHaveLength(19);
    expect(batches.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...batches)).toBeLessThanOrEqual(8);
    vi.restoreAllMocks();
    // The same answers as one item at a time.
    for (const i of [0, 8, 18]) expect(Array.from((await classifier.predict([items[i]]))[0])).toEqual(Array.from(all[i]));
    await classifier.close();
  }, 60_000);

  it('caps the pool\'s micro-batches below the pool\'s own maximum', async () => {
    const root = mkdtempSync(join(tmpdir(), 'streamlens-maxbatch-'));
    try {
      const published = publishLinearModel(root, 'tiny', [[1, 0], [0, 1]]);
      const v: ModelVersion = { ...published, manifest: { ...published.manifest, maxBatchSize: 3 } };
      const sizes: number[] = [];
      const model: LoadedModel<Float32Array, Float32Array> = { version: v, featureKey: 'k', predict: async (xs) => (sizes.push(xs.length), xs.map(() => Float32Array.of(0.5, 0.5))), close: async () => {} };
      const pool = new ClassifierPool(async () => model, { maxBatchSize: 16, maxWaitMs: 5, reloadIntervalMs: 0, root });
      const out = await Promise.all(Array.from({ length: 10 }, () => pool.score(model, Float32Array.of(1, 2), 'test')));
      expect(out).toHaveLength(10);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
      expect(Math.max(...sizes)).toBe(3);
      await pool.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
