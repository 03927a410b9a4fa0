import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireDataPath } from '../../src/core/paths.js';
import { preprocessImage } from '../../src/features/image/preprocess.js';
import { parseImageFeatureSettings } from '../../src/features/image/settings.js';
import { listImageDataset, splitDataset } from '../../src/ingest/image-dataset.js';
import { loadClassifier } from '../../src/inference/classifier-loader.js';
import { resolveModel } from '../../src/models/model-repository.js';
import { scoreFilesOnnx } from '../../src/training/image/onnx-scoring.js';

/** STREAMLENS_CASCADE=off serves a cascade version's full model alone (a shorter tail for latency-bound deployments). */
const previous = process.env.STREAMLENS_CASCADE;
afterEach(() => {
  if (previous === undefined) delete process.env.STREAMLENS_CASCADE;
  else process.env.STREAMLENS_CASCADE = previous;
});

describe('STREAMLENS_CASCADE', () => {
  it('off: every photo gets the full model\'s answer; on (default): the photos the fast stage is sure of get the fast answer', async () => {
    const v = resolveModel('animal');
    expect(v.manifest.cascade).toBeDefined();
    const s = parseImageFeatureSettings(v.manifest.features.settings);
    const files = splitDataset(listImageDataset(requireDataPath('animals', 'animal photos')).items, v.manifest.training.split as { seed: number }).test.slice(0, 12).map((i) => i.file);
    const inputs = await Promise.all(files.map(async (f) => (await preprocessImage(f, s)).data));
    const full = await scoreFilesOnnx(new Uint8Array((await import('node:fs')).readFileSync(join(v.dir, v.manifest.files.onnx!))), s, files);
    const served = async () => {
      const c = await loadClassifier(v);
      try {
        return (await c.predict(inputs)).map((p) => Array.from(p));
      } finally {
        await c.close();
      }
    };
    process.env.STREAMLENS_CASCADE = 'off';
    const off = await served();
    off.forEach((p, i) => p.forEach((x, j) => expect(x).toBeCloseTo(full[i][j], 6)));
    delete process.env.STREAMLENS_CASCADE;
    const on = await served();
    const differ = on.filter((p, i) => p.some((x, j) => Math.abs(x - full[i][j]) > 1e-4)).length;
    expect(differ).toBeGreaterThan(0); // answered by the fast stage
    process.env.STREAMLENS_CASCADE = 'sometimes';
    await expect(loadClassifier(v)).rejects.toThrow(/STREAMLENS_CASCADE/);
  }, 60_000);
});
