import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, requireDataPath } from '../../src/core/paths.js';
import { decodeResizedRgb, normaliseRgb } from '../../src/features/image/preprocess.js';
import { parseImageFeatureSettings } from '../../src/features/image/settings.js';
import { decodeOnnxModel } from '../../src/inference/onnx/onnx-proto.js';
import { createOnnxSession } from '../../src/inference/onnx-session.js';
import { resolveModel } from '../../src/models/model-repository.js';
import { createEmbeddingSession, embeddingFeatures, embeddingGraphFile, fitEmbeddingSummary, headInputName, principalComponents } from '../../src/monitoring/embedding.js';
import { loadReference, shippedSplits } from '../../src/monitoring/shipped.js';

/** Backbone-embedding summaries: PCA and nearest-class-mean distances against scikit-learn, and the truncated graph against the served head. */
const fx = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/embedding-summary.json'), 'utf8')) as {
  k: number;
  x: number[][];
  labels: string[];
  mean: number[];
  components: number[][];
  explainedVariance: number[];
  queries: number[][];
  projections: number[][];
  nearestClassMeanDistance: number[];
};

describe('embedding summary (scikit-learn PCA fixture)', () => {
  it('principal components, their variances and the mean match sklearn.decomposition.PCA', () => {
    const pc = principalComponents(fx.x, fx.k);
    pc.mean.forEach((m, j) => expect(m).toBeCloseTo(fx.mean[j], 9));
    pc.explainedVariance.forEach((v, i) => expect(Math.abs(v - fx.explainedVariance[i]) / fx.explainedVariance[i]).toBeLessThan(1e-9));
    pc.components.forEach((c, i) => c.forEach((x, j) => expect(x).toBeCloseTo(fx.components[i][j], 7)));
  });
  it('features of new rows: projections on the components and the distance to the nearest class mean', () => {
    const s = fitEmbeddingSummary('fixture.onnx', 'fixture', fx.x.map((r) => Float32Array.from(r)), fx.labels, fx.k);
    expect(s.features).toEqual(['emb_pc1', 'emb_pc2', 'emb_pc3', 'emb_pc4', 'emb_class_distance']);
    fx.queries.forEach((q, i) => {
      const f = embeddingFeatures(s, q);
      // The summary stores 5 significant digits (Float32 embeddings): agreement to ~1e-4 relative.
      for (let c = 0; c < fx.k; c++) expect(Math.abs(f[`emb_pc${c + 1}`] - fx.projections[i][c])).toBeLessThan(1e-3 * (1 + Math.abs(fx.projections[i][c])));
      expect(Math.abs(f.emb_class_distance - fx.nearestClassMeanDistance[i]) / fx.nearestClassMeanDistance[i]).toBeLessThan(1e-4);
    });
  });
});

describe('the animal model (its cascade fast graph) truncated at its head', () => {
  it('outputs the head input: the mean over head members of softmax(embedding W + B) equals the whole graph on real photos', async () => {
    const v = resolveModel('animal');
    expect(embeddingGraphFile(v)).toBe('fast.onnx');
    const bytes = new Uint8Array(readFileSync(join(v.dir, embeddingGraphFile(v))));
    const model = decodeOnnxModel(bytes);
    const name = headInputName(bytes);
    expect(name).toBe('feature_standardise');
    const weights = (n: string) => {
      const t = model.graph.initializer.find((i) => i.name === n)!;
      return new Float32Array(t.rawData!.slice().buffer);
    };
    // The head's members (one Gemm each on the embedding; a seed-head ensemble averages their softmaxes).
    const members = model.graph.node.filter((n) => n.opType === 'Gemm' && n.input[0] === name).map((n) => ({ W: weights(n.input[1]), B: weights(n.input[2]) }));
    expect(members.length).toBeGreaterThanOrEqual(1);
    const softmax = (l: number[]) => {
      const z = l.map((x) => Math.exp(x - Math.max(...l)));
      return z.map((q) => q / z.reduce((a, b) => a + b, 0));
    };
    const full = await createOnnxSession(bytes, { rewrite: false });
    const { session } = await createEmbeddingSession(v);
    const s = parseImageFeatureSettings(v.manifest.features.settings);
    requireDataPath('animals', 'animal photos');
    // A photo beyond the graph's out-of-distribution gate (if the version has one) gets the uniform answer instead.
    let compared = 0;
    for (const file of (shippedSplits(v).heldOut as string[]).slice(0, 6)) {
      const x = normaliseRgb((await decodeResizedRgb(file, s)).rgb, s);
      const e = (await session.run(x, [1, 224, 224, 3])).data;
      expect(e.length).toBe(512);
      const memberProbs = members.map(({ W, B }) => softmax([0, 1, 2].map((c) => B[c] + e.reduce((a, ej, j) => a + ej * W[j * 3 + c], 0))));
      const probs = [0, 1, 2].map((c) => memberProbs.reduce((a, p) => a + p[c], 0) / members.length);
      const want = (await full.run(x, [1, 224, 224, 3])).data;
      if (Array.from(want).every((p) => Math.abs(p - 1 / 3) < 1e-7)) continue;
      compared++;
      probs.forEach((p, c) => expect(p).toBeCloseTo(want[c], 4));
    }
    expect(compared).toBeGreaterThanOrEqual(3);
    await session.dispose();
    await full.dispose();
  }, 60_000);
  it('the shipped reference holds the summary: 4 components of the 512-d embedding and the 3 class means', () => {
    const ref = loadReference(resolveModel('animal'))!;
    expect(ref.embedding!.dims).toBe(512);
    expect(ref.embedding!.components).toHaveLength(4);
    expect(ref.embedding!.classMeans.map((c) => c.label)).toEqual(['cat', 'dog', 'fox']);
    expect(ref.features.map((f) => f.name)).toEqual(expect.arrayContaining(ref.embedding!.features));
  });
});
