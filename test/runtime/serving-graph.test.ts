import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { exportToOnnx } from '../../src/training/onnx-export/index.js';
import { decodeOnnxModel, encodeOnnxModel } from '../../src/inference/onnx/onnx-proto.js';
import { rewriteConv1dAsGemm } from '../../src/inference/onnx/conv1d-as-gemm.js';
import { createOnnxSession, rewriteFromEnv } from '../../src/inference/onnx-session.js';
import { buildSpeechModel } from '../../src/training/speech/models.js';
import { maxAbsDiff, randomizeWeights, seededInput } from './parity-helpers.js';

const L = tf.layers;
const REPO = join(import.meta.dirname, '..', '..');

function seq(inputShape: number[], layers: tf.layers.Layer[]): tf.LayersModel {
  return tf.sequential({ layers: [L.inputLayer({ inputShape }), ...layers] });
}

function opTypes(bytes: Uint8Array): string[] {
  return decodeOnnxModel(bytes).graph.node.map((n) => n.opType);
}

/** Export `model`, serve it with and without the rewrite, compare both with tfjs on `shape` batches. */
async function servedParity(model: tf.LayersModel, shape: number[], seed: number) {
  randomizeWeights(model, seed);
  const bytes = exportToOnnx(model);
  const logs: string[] = [];
  const rewritten = await createOnnxSession(bytes, { rewrite: true, log: (l) => logs.push(l) });
  const plain = await createOnnxSession(bytes, { rewrite: false });
  try {
    const x = seededInput(shape, seed + 1, -2, 2);
    const expected = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    const data = x.dataSync() as Float32Array;
    const got = await rewritten.run(data, shape);
    const ref = await plain.run(data, shape);
    x.dispose();
    let spread = 0;
    for (const v of expected) spread = Math.max(spread, Math.abs(v));
    return { rewrite: rewritten.graphRewrite, vsTfjs: maxAbsDiff(expected, got.data), vsPlain: maxAbsDiff(ref.data, got.data), spread, logs, bytes };
  } finally {
    await rewritten.dispose();
    await plain.dispose();
  }
}

describe('serving-graph rewrite: 1-D convolutions as batched GEMMs', () => {
  it('rewrites the shipped speech models and keeps their outputs (batch 1, 5, 32)', async () => {
    for (const [model, convs] of [['emotion/4', 3], ['gender/1', 2]] as const) {
      const file = join(REPO, 'models', model, 'model.onnx');
      const served = await createOnnxSession(file, { rewrite: true });
      const stored = await createOnnxSession(file, { rewrite: false });
      expect(served.graphRewrite).toBe(`conv1d-as-gemm (${convs} convs), batches >= 2`);
      expect(stored.graphRewrite).toBeNull();
      for (const n of [1, 5, 32]) {
        const x = seededInput([n, 100, 40], n, -3, 3).dataSync() as Float32Array;
        const a = await served.run(x, [n, 100, 40]);
        const b = await stored.run(x, [n, 100, 40]);
        expect(a.shape).toEqual(b.shape);
        expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-5);
      }
      await served.dispose();
      await stored.dispose();
    }
  });

  it('leaves no Conv, pooling or batch norm in the shipped emotion graph', async () => {
    const { readFile } = await import('node:fs/promises');
    const bytes = new Uint8Array(await readFile(join(REPO, 'models', 'emotion', '4', 'model.onnx')));
    const before = opTypes(bytes);
    const { model, convs } = rewriteConv1dAsGemm(decodeOnnxModel(bytes));
    const after = opTypes(encodeOnnxModel(model));
    expect(before.filter((o) => o === 'Conv')).toHaveLength(3);
    expect(convs).toBe(3);
    for (const op of ['Conv', 'BatchNormalization', 'AveragePool', 'MaxPool', 'GlobalAveragePool', 'Transpose']) expect(after).not.toContain(op);
    expect(after.filter((o) => o === 'Gemm')).toHaveLength(4); // three convolutions + the dense layer
  });

  it('matches tfjs for the speech architectures (cnn depth 2 and 3, cnn-lstm)', async () => {
    const cases = [
      buildSpeechModel('cnn', { frames: 100, features: 40, classes: 8, seed: 3, width: 1, depth: 3 }),
      buildSpeechModel('cnn', { frames: 60, features: 20, classes: 2, seed: 4, width: 1, depth: 2 }),
      buildSpeechModel('cnn-lstm', { frames: 40, features: 12, classes: 3, seed: 5, width: 0.5 }),
    ];
    for (const [i, model] of cases.entries()) {
      const shape = [3, ...(model.inputs[0]!.shape.slice(1) as number[])];
      const r = await servedParity(model, shape, 10 + i);
      expect(r.rewrite).toMatch(/^conv1d-as-gemm/);
      expect(r.spread).toBeGreaterThan(0.05);
      expect(r.vsTfjs).toBeLessThanOrEqual(1e-4);
      expect(r.vsPlain).toBeLessThanOrEqual(1e-5);
    }
  });

  it('handles valid padding, kernel 1, bias without batch norm, batch norm without conv, odd pools, avg pool 3', async () => {
    const inp = tf.input({ shape: [23, 5] });
    let x = L.averagePooling1d({ poolSize: 3 }).apply(inp) as tf.SymbolicTensor; // 23 -> 7, not a pair: ReduceMean path
    x = L.conv1d({ filters: 6, kernelSize: 3, padding: 'valid', activation: 'relu' }).apply(x) as tf.SymbolicTensor; // 7 -> 5, bias, fused relu
    x = L.maxPooling1d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor; // 5 -> 2 (trimmed)
    x = L.batchNormalization({}).apply(x) as tf.SymbolicTensor; // not after a conv: Mul + Add
    x = L.conv1d({ filters: 4, kernelSize: 1, useBias: true }).apply(x) as tf.SymbolicTensor; // kernel 1: no im2col
    const avg = L.globalAveragePooling1d({}).apply(x) as tf.SymbolicTensor;
    const max = L.globalMaxPooling1d({}).apply(x) as tf.SymbolicTensor;
    const out = L.dense({ units: 3 }).apply(L.concatenate().apply([avg, max]) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const r = await servedParity(tf.model({ inputs: inp, outputs: out }), [4, 23, 5], 20);
    expect(r.rewrite).toBe('conv1d-as-gemm (2 convs), batches >= 2');
    expect(r.spread).toBeGreaterThan(0.05);
    expect(r.vsTfjs).toBeLessThanOrEqual(1e-4);
  });

  it('keeps what it does not recognise (strided conv) and stays exact', async () => {
    const model = seq([16, 4], [
      L.conv1d({ filters: 5, kernelSize: 3, padding: 'same' }),
      L.conv1d({ filters: 3, kernelSize: 3, strides: 2 }),
      L.globalAveragePooling1d({}),
    ]);
    const r = await servedParity(model, [2, 16, 4], 30);
    // The strided conv sits between the first conv and the sink, so the chain is not rewritten at all.
    expect(r.rewrite).toBeNull();
    expect(opTypes(encodeOnnxModel(rewriteConv1dAsGemm(decodeOnnxModel(r.bytes)).model)).filter((o) => o === 'Conv')).toHaveLength(2);
    expect(r.vsTfjs).toBeLessThanOrEqual(1e-4);
  });

  it('does not touch 2-D convolution models', async () => {
    const model = seq([8, 8, 3], [L.conv2d({ filters: 4, kernelSize: 3 }), L.globalAveragePooling2d({}), L.dense({ units: 2 })]);
    const r = await servedParity(model, [2, 8, 8, 3], 40);
    expect(r.rewrite).toBeNull();
    expect(r.vsTfjs).toBeLessThanOrEqual(1e-4);
  });

  it('refuses a rewrite whose outputs differ, logs why, and serves the original graph', async () => {
    const model = buildSpeechModel('cnn', { frames: 40, features: 10, classes: 4, seed: 6, width: 0.5 });
    randomizeWeights(model, 50);
    const bytes = exportToOnnx(model);
    const logs: string[] = [];
    const broken = (m: Parameters<typeof rewriteConv1dAsGemm>[0]) => {
      const r = rewriteConv1dAsGemm(m);
      const w = r.model.graph.initializer.find((t) => /gemm_W$/.test(t.name))!;
      const f = new Float32Array(Uint8Array.from(w.rawData!).buffer);
      f[0] = (f[0] as number) + 5; // a wrong weight
      w.rawData = new Uint8Array(f.buffer);
      return r;
    };
    const session = await createOnnxSession(bytes, { rewrite: true, rewriter: broken, log: (l) => logs.push(l) });
    expect(session.graphRewrite).toBeNull();
    expect(logs.join('\n')).toMatch(/rewrite refused, the original graph serves: output 'probs'\[\d+\] differs by/);
    const x = seededInput([2, 40, 10], 51, -2, 2);
    const got = await session.run(x.dataSync() as Float32Array, [2, 40, 10]);
    expect(maxAbsDiff((model.predict(x) as tf.Tensor).dataSync(), got.data)).toBeLessThanOrEqual(1e-4);
    await session.dispose();
  });

  it('runs batches of 1 on the stored graph and larger batches on the rewritten one', async () => {
    const file = join(REPO, 'models', 'gender', '1', 'model.onnx');
    // A rewrite that nudges one logit by 1e-4: within the load check's tolerance, so it is accepted,
    // but its outputs differ measurably from the stored graph's.
    const nudged = (m: Parameters<typeof rewriteConv1dAsGemm>[0]) => {
      const r = rewriteConv1dAsGemm(m);
      const b = r.model.graph.initializer.find((t) => t.name === 'probs_B')!;
      const f = new Float32Array(Uint8Array.from(b.rawData!).buffer);
      f[0] = (f[0] as number) + 1e-4;
      b.rawData = new Uint8Array(f.buffer);
      return r;
    };
    const stored = await createOnnxSession(file, { rewrite: false });
    const served = await createOnnxSession(file, { rewriter: nudged });
    const always = await createOnnxSession(file, { rewriter: nudged, rewriteMinBatch: 1 });
    expect(always.graphRewrite).toBe('conv1d-as-gemm (2 convs)');
    const x = seededInput([2, 100, 40], 60, -3, 3).dataSync() as Float32Array;
    const one = x.subarray(0, 4000);
    expect(maxAbsDiff((await served.run(one, [1, 100, 40])).data, (await stored.run(one, [1, 100, 40])).data)).toBe(0);
    expect(maxAbsDiff((await always.run(one, [1, 100, 40])).data, (await stored.run(one, [1, 100, 40])).data)).toBeGreaterThan(1e-7);
    const two = maxAbsDiff((await served.run(x, [2, 100, 40])).data, (await stored.run(x, [2, 100, 40])).data);
    expect(two).toBeGreaterThan(1e-7);
    expect(two).toBeLessThan(1e-4);
    for (const s of [stored, served, always]) await s.dispose();
  });

  it('reads STREAMLENS_ONNX_REWRITE', () => {
    expect(rewriteFromEnv({})).toBe(true);
    expect(rewriteFromEnv({ STREAMLENS_ONNX_REWRITE: 'off' })).toBe(false);
    expect(rewriteFromEnv({ STREAMLENS_ONNX_REWRITE: 'ON' })).toBe(true);
    expect(() => rewriteFromEnv({ STREAMLENS_ONNX_REWRITE: 'maybe' })).toThrow(/'on' or 'off'/);
  });
});
