import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servedTestPhotos } from './served-test-photos.js';
import { requireDataPath } from '../../src/core/paths.js';
import { parseImageFeatureSettings } from '../../src/features/image/settings.js';
import { appendDistanceGate, float16Bits, float16Value, gateDistance, gateWhitening, invertLowerTriangular, isGateNode } from '../../src/inference/onnx/distance-gate.js';
import { decodeOnnxModel } from '../../src/inference/onnx/onnx-proto.js';
import { createOnnxSession } from '../../src/inference/onnx-session.js';
import { resolveModel } from '../../src/models/model-repository.js';
import { embeddingGraph, headInputName } from '../../src/monitoring/embedding.js';
import { cholesky, fitClassGaussians, nearestMahalanobis } from '../../src/training/image/class-gaussians.js';
import { gateImageVersion } from '../../src/training/image/gate-version.js';
import { scoreServedGraphs } from '../../src/training/image/onnx-scoring.js';
import { calibrateMaxDistance } from '../../src/training/image/mahalanobis-gate.js';
import { labelledOutOfDistributionImages } from '../../src/training/image/ood-images.js';
import sharp from 'sharp';

/** Deterministic uniform draws in [0, 1). */
function uniforms(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (1664525 * s + 1013904223) >>> 0) + 0.5) / 2 ** 32;
}

const base = resolveModel('animal', '2');
const readGraph = (v: typeof base, file: string) => new Uint8Array(readFileSync(join(v.dir, file)));

describe('distance gate graph rewrite', () => {
  it('rounds to float16 as IEEE 754 binary16 does (nearest, ties to even; subnormals; overflow)', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(70000)).toBe(0x7c00);
    expect(float16Bits(2 ** -24)).toBe(0x0001);
    expect(float16Bits(2 ** -26)).toBe(0x0000);
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // a tie: to the even neighbour
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    for (const x of [0.1, -3.14159, 1234.5, 6.1e-5, -7e-6]) {
      const back = float16Value(float16Bits(x));
      expect(Math.abs(back - x)).toBeLessThanOrEqual(Math.max(Math.abs(x) * 2 ** -11, 2 ** -25));
    }
  });

  it('inverts a lower-triangular factor: L times L^-1 is the identity', () => {
    const d = 7;
    const r = uniforms(3);
    const a = new Float64Array(d * d);
    const m = Array.from({ length: d * d }, () => r() - 0.5);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) a[i * d + j] += m[i * d + k] * m[j * d + k] + (i === j && k === 0 ? 0.5 : 0);
    const l = cholesky(a, d);
    const inv = invertLowerTriangular(l, d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += l[i * d + k] * inv[k * d + j];
        expect(s).toBeCloseTo(i === j ? 1 : 0, 10);
        if (j > i) expect(inv[i * d + j]).toBe(0);
      }
  });

  it.each(['shared', 'per-class'] as const)('on the animal fast graph (%s covariance): inside the distance the probabilities are unchanged, beyond it uniform, and the cut-off is the Mahalanobis distance', async (covariance) => {
    const bytes = readGraph(base, 'fast.onnx');
    const embedding = headInputName(bytes);
    const embed = await createOnnxSession(embeddingGraph(bytes, embedding), { rewrite: false });
    const plain = await createOnnxSession(bytes, { rewrite: false });
    const r = uniforms(11);
    const item = 224 * 224 * 3;
    // Random inputs at a few brightness levels: embeddings with a real spread.
    const batch = (n: number) => Float32Array.from({ length: n * item }, (_, i) => Math.min(1, r() * 0.5 + (Math.floor(i / item) % 4) * 0.15));
    const fitX = batch(24);
    const fit = await embed.run(fitX, [24, 224, 224, 3]);
    const rows = Array.from({ length: 24 }, (_, i) => fit.data.slice(i * 512, (i + 1) * 512));
    const g = fitClassGaussians(rows, rows.map((_, i) => i % 3), 3, 0.3, covariance);
    expect(g.factors).toHaveLength(covariance === 'shared' ? 1 : 3);
    const x = batch(12);
    const e = await embed.run(x, [12, 224, 224, 3]);
    // The graph computes the distance under the float16-rounded whitening: gateDistance, within 1e-3 of the exact one.
    const whitening = gateWhitening(g.factors, g.d);
    const exact = Array.from({ length: 12 }, (_, i) => nearestMahalanobis(g, e.data.subarray(i * 512, (i + 1) * 512)));
    const distances = Array.from({ length: 12 }, (_, i) => gateDistance(whitening, g.means, e.data.subarray(i * 512, (i + 1) * 512)));
    distances.forEach((d, i) => expect(Math.abs(d - exact[i]) / exact[i]).toBeLessThan(1e-3));
    const cut = [...distances].sort((a, b) => a - b)[5];
    const gated = appendDistanceGate(bytes, { whitening, means: g.means, maxDistance: cut, embedding });
    // The gate leaves the interface alone: one output, the same name; the head is still found; the embedding graph is the same.
    const m = decodeOnnxModel(gated);
    expect(m.graph.output.map((o) => o.name)).toEqual(decodeOnnxModel(bytes).graph.output.map((o) => o.name));
    expect(m.graph.node.filter(isGateNode).map((n) => n.opType)).toEqual(['Slice', 'Cast', 'MatMul', 'Reshape', 'Cast', 'MatMul', 'Reshape', 'Concat', 'Sub', 'ReduceSumSquare', 'ReduceMin', 'LessOrEqual', 'Where']);
    // Stored in float16, the zero lower-left block of every whitening left out: well under a dense float32 matrix.
    const added = gated.byteLength - bytes.byteLength;
    expect(added).toBeLessThan(0.4 * 512 * 512 * 4 * g.factors.length + 20_000);
    expect(headInputName(gated)).toBe(embedding);
    expect(Buffer.from(embeddingGraph(gated, embedding)).equals(Buffer.from(embeddingGraph(bytes, embedding)))).toBe(true);
    const session = await createOnnxSession(gated, { rewrite: false });
    const [want, got] = [await plain.run(x, [12, 224, 224, 3]), await session.run(x, [12, 224, 224, 3])];
    let inside = 0;
    let beyond = 0;
    distances.forEach((d, i) => {
      const p = Array.from(got.data.subarray(i * 3, i * 3 + 3));
      if (d <= cut * (1 - 1e-4)) {
        inside++;
        p.forEach((v, c) => expect(v).toBe(want.data[i * 3 + c]));
      } else if (d > cut * (1 + 1e-4)) {
        beyond++;
        p.forEach((v) => expect(v).toBeCloseTo(1 / 3, 7));
      }
    });
    expect(inside).toBeGreaterThanOrEqual(5);
    expect(beyond).toBeGreaterThanOrEqual(5);
    const spec = { whitening, means: g.means, maxDistance: cut, embedding };
    expect(() => appendDistanceGate(gated, spec)).toThrow(/already has a gate/);
    expect(() => appendDistanceGate(bytes, { ...spec, maxDistance: 0 })).toThrow(/maxDistance must be a positive number/);
    expect(() => appendDistanceGate(bytes, { ...spec, embedding: 'nope' })).toThrow(/no node outputs the embedding 'nope'/);
    expect(() => appendDistanceGate(bytes, { ...spec, whitening: [whitening[0], whitening[0]] })).toThrow(/2 whitening matrices for 3 classes/);
    expect(() => appendDistanceGate(bytes, { ...spec, whitening: [whitening[0]], means: [g.means[0], g.means[1]] })).toThrow(/is not \[batch, 2\]/);
    await Promise.all([embed.dispose(), plain.dispose(), session.dispose()]);
  }, 60_000);
});

describe('gate calibration', () => {
  it('keeps at least the asked share of the validation distances, the smallest such distance', () => {
    const d = Array.from({ length: 122 }, (_, i) => 10 + i * 0.1);
    const c = calibrateMaxDistance(d, 0.97);
    expect(c.kept).toBeGreaterThanOrEqual(0.97);
    expect(d.filter((x) => x <= c.maxDistance)).toHaveLength(119); // ceil(0.97 x 122)
    expect(c.maxDistance).toBeLessThan(d[119]);
    expect(calibrateMaxDistance([5, 1, 3], 1).maxDistance).toBeGreaterThanOrEqual(5);
    expect(() => calibrateMaxDistance([], 0.9)).toThrow(/no validation distances/);
    expect(() => calibrateMaxDistance([1], 0)).toThrow(/keep must be in \(0, 1\]/);
  });
});

describe('the gated animal model that train image-gate published (models/animal/3 = v2 + gates)', () => {
  const v = resolveModel('animal', '3');
  const gate = (v.manifest.training as { oodGate?: { full: { maxDistance: number }; fast: { maxDistance: number } | null; generatedUnknown: { base: number; gated: number } } }).oodGate;

  it('records its base and both gates', () => {
    expect(gate?.full.maxDistance).toBeGreaterThan(0);
    expect(gate?.fast?.maxDistance).toBeGreaterThan(0);
    expect((v.manifest.training as { baseVersion?: string }).baseVersion).toBe('2');
  });

  it('serves exactly what its manifest records on the held-out photos, and its classifier is v2\'s wherever the gate lets a photo through', async () => {
    const { split, settings: s, summary, recorded } = await servedTestPhotos(v);
    const labels = v.manifest.labels;
    expect(summary.accuracy).toBe(recorded.accuracy);
    expect(summary.unknown).toBe(recorded.unknown);
    expect(summary.confusion).toEqual(recorded.confusion);
    // The full graph of v3 against v2's: equal, or the uniform answer.
    const files = split.test.map((i) => i.file);
    const [old, now] = [await scoreServedGraphs({ onnx: readGraph(base, 'model.onnx') }, s, files, labels, undefined, undefined), await scoreServedGraphs({ onnx: readGraph(v, 'model.onnx') }, s, files, labels, undefined, undefined)];
    let uniform = 0;
    now.probs.forEach((p, i) => {
      if (p.every((x) => Math.abs(x - 1 / 3) < 1e-7)) uniform++;
      else expect(p).toEqual(old.probs[i]);
    });
    expect(uniform).toBeGreaterThan(0); // a few held-out animals are beyond v3's 97% distance
    expect(uniform).toBeLessThan(0.05 * files.length);
  }, 120_000);

  it('answers "unknown" for generated non-animal images as recorded, where v2 answered an animal for every one', async () => {
    const s = parseImageFeatureSettings(v.manifest.features.settings);
    const generated = (await labelledOutOfDistributionImages(42, 36)).map((g) => g.image);
    const served = (w: typeof v) => scoreServedGraphs({ onnx: readGraph(w, 'model.onnx'), fastOnnx: readGraph(w, 'fast.onnx') }, s, generated, w.manifest.labels, w.manifest.cascade?.threshold, w.manifest.unknownThreshold);
    const unknown = (d: string[]) => d.filter((x) => x === 'unknown').length / d.length;
    expect(unknown((await served(v)).decided)).toBe(gate!.generatedUnknown.gated);
    expect(unknown((await served(base)).decided)).toBe(gate!.generatedUnknown.base);
    expect(gate!.generatedUnknown.gated).toBeGreaterThan(0.9);
    expect(gate!.generatedUnknown.base).toBe(0);
  }, 60_000);
});

describe('streamlens train image-gate', () => {
  it('refuses a folder that is not the one the base was trained on, with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gate-data-'));
    const out = mkdtempSync(join(tmpdir(), 'gate-out-'));
    try {
      for (const l of ['cat', 'dog', 'fox']) {
        mkdirSync(join(dir, l));
        for (let i = 0; i < 5; i++) writeFileSync(join(dir, l, `${l}${i}.png`), await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: i * 40, g: 90, b: 200 } } }).png().toBuffer());
      }
      await expect(gateImageVersion({ model: 'animal', version: '2', data: dir, out, log: () => {} })).rejects.toThrow(/is not the folder model animal v2 was trained on: its split gives \d+ train photos \(recorded 689\)/);
      await expect(gateImageVersion({ model: 'animal', version: '3', data: requireDataPath('animals', 'animal photos'), out, log: () => {} })).rejects.toThrow(/model animal v3 already has a gate \(base version 2\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });
});
