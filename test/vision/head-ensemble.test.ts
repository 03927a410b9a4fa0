import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createOnnxSession } from '../../src/inference/onnx-session.js';
import { headInputName } from '../../src/monitoring/embedding.js';
import { exportToOnnx } from '../../src/training/onnx-export/index.js';
import { fitFeatureHeadEnsemble } from '../../src/training/image/head-training.js';
import { applyHead, buildTransferHead, composeHeadEnsemble } from '../../src/training/image/models.js';
import { createRng } from '../../src/training/seeding.js';

/** Three noisy Gaussian blobs in d dimensions (class k centred on +2 in dimension k). */
function blobs(n: number, d: number, seed: number): { x: tf.Tensor2D; y: number[]; rows: number[][] } {
  const rng = createRng(seed);
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    rows.push(Array.from({ length: d }, (_, j) => (j === k ? 2 : 0) + (rng() - 0.5) * 3));
    y.push(k);
  }
  return { x: tf.tensor2d(rows), y, rows };
}

describe('seed-head ensemble (composeHeadEnsemble / fitFeatureHeadEnsemble)', () => {
  it('answers the average of its members\' probabilities, in tfjs and through its ONNX export', async () => {
    const d = 8;
    const train = blobs(90, d, 1);
    const val = blobs(30, d, 2);
    const { model, histories } = await fitFeatureHeadEnsemble({ xTrain: train.x, yTrain: train.y, xVal: val.x, yVal: val.y, classes: 3, seeds: [5, 6, 7], epochs: 5, patience: 5 });
    expect(histories).toHaveLength(3);
    // The members, retrained alone with the same seeds, must average to the ensemble's answer.
    const { model: single } = await fitFeatureHeadEnsemble({ xTrain: train.x, yTrain: train.y, xVal: val.x, yVal: val.y, classes: 3, seeds: [6], epochs: 5, patience: 5 });
    const p = (m: tf.LayersModel) => (m.predict(val.x) as tf.Tensor).arraySync() as number[][];
    const ensemble = p(model);
    const member1 = (tf.model({ inputs: model.inputs, outputs: model.getLayer('head_softmax_1').output as tf.SymbolicTensor }).predict(val.x) as tf.Tensor).arraySync() as number[][];
    member1.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(p(single)[i][j], 5)));
    const members = [0, 1, 2].map((k) => (tf.model({ inputs: model.inputs, outputs: model.getLayer(`head_softmax_${k}`).output as tf.SymbolicTensor }).predict(val.x) as tf.Tensor).arraySync() as number[][]);
    ensemble.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo((members[0][i][j] + members[1][i][j] + members[2][i][j]) / 3, 6)));
    // The members differ (else the test proves nothing about averaging).
    expect(Math.max(...members[0].map((r, i) => Math.abs(r[0] - members[2][i][0])))).toBeGreaterThan(1e-3);

    const onnx = exportToOnnx(model, { graphName: 'ensemble_test' });
    // The members share one input: the embedding the out-of-distribution gate and monitoring read.
    expect(headInputName(onnx)).toMatch(/feature_standardise/);
    const session = await createOnnxSession(onnx, { rewrite: false });
    try {
      const r = await session.run(Float32Array.from(val.rows.flat()), [val.rows.length, d]);
      ensemble.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(r.data[i * 3 + j] - v)).toBeLessThan(1e-5)));
    } finally {
      await session.dispose();
    }
  }, 60_000);

  it('is put on top of a backbone with its layers shared (applyHead), and one seed gives the plain head', async () => {
    const d = 4;
    const head = (seed: number) => buildTransferHead({ featureSize: d, classes: 3, seed, mean: tf.zeros([d]) as tf.Tensor1D, variance: tf.ones([d]) as tf.Tensor1D });
    const ensemble = composeHeadEnsemble([head(1), head(2)]);
    const input = tf.input({ shape: [6] });
    const feat = tf.layers.dense({ units: d, useBias: false, kernelInitializer: 'ones', name: 'feature_pool' }).apply(input) as tf.SymbolicTensor;
    const composed = tf.model({ inputs: input, outputs: applyHead(ensemble, feat) });
    const x = tf.randomUniform([5, 6], -1, 1, 'float32', 3);
    const viaHead = (ensemble.predict(tf.matMul(x, tf.ones([6, d]))) as tf.Tensor).arraySync() as number[][];
    const viaComposed = (composed.predict(x) as tf.Tensor).arraySync() as number[][];
    viaHead.forEach((row, i) => row.forEach((v, j) => expect(viaComposed[i][j]).toBeCloseTo(v, 6)));
    const train = blobs(30, d, 4);
    const one = await fitFeatureHeadEnsemble({ xTrain: train.x, yTrain: train.y, xVal: train.x, yVal: train.y, classes: 3, seeds: [9], epochs: 1, patience: 1 });
    expect(one.model.layers.map((l) => l.name)).toEqual(['feature_standardise', 'head_dropout', 'head_softmax']);
  });

  it('folds each member\'s own standardisation into its layer exactly', () => {
    const d = 4;
    const a = buildTransferHead({ featureSize: d, classes: 3, seed: 1, mean: tf.zeros([d]) as tf.Tensor1D, variance: tf.ones([d]) as tf.Tensor1D });
    const b = buildTransferHead({ featureSize: d, classes: 3, seed: 2, mean: tf.tensor1d([0.5, -1, 2, 0]), variance: tf.tensor1d([4, 0.25, 1, 9]) });
    const x = tf.randomUniform([6, d], -3, 3, 'float32', 8);
    const p = (m: tf.LayersModel) => (m.predict(x) as tf.Tensor).arraySync() as number[][];
    const [pa, pb, pe] = [p(a), p(b), p(composeHeadEnsemble([a, b]))];
    pe.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo((pa[i][j] + pb[i][j]) / 2, 5)));
    const c = buildTransferHead({ featureSize: d + 1, classes: 3, seed: 3, mean: tf.zeros([d + 1]) as tf.Tensor1D, variance: tf.ones([d + 1]) as tf.Tensor1D });
    expect(() => composeHeadEnsemble([a, c])).toThrow(/member 1 takes 5 features, member 0 4/);
    expect(() => composeHeadEnsemble([a])).toThrow(/at least 2 members/);
  });
});
