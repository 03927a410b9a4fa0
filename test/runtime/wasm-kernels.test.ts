import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTrainingBackend } from '../../src/inference/tfjs-backend.js';
import { seededInitializers } from '../../src/training/seeding.js';
import { fixCpuAvgPoolGrad, WASM_GRADIENT_KERNELS, WASM_REPLACED_KERNELS } from '../../src/inference/tfjs-wasm-kernels.js';
import { maxAbsDiff, seededInput } from './parity-helpers.js';

type Op = (x: tf.Tensor, w: tf.Tensor) => tf.Tensor;

/** d(sum(f(x, w) * r))/dx and /dw on `backend`, for fixed seeded x, w, r. */
async function gradsOn(backend: string, f: Op, xShape: number[], wShape: number[]): Promise<[Float32Array, Float32Array]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = seededInput(xShape, 1);
    const w = seededInput(wShape, 2);
    const r = seededInput(f(x, w).shape, 3);
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), r)))([x, w]) as [tf.Tensor, tf.Tensor];
    return [gx.dataSync() as Float32Array, gw.dataSync() as Float32Array] as [Float32Array, Float32Array];
  });
}

/** Central-difference gradient of sum(f(x) * r) w.r.t. x, forward pass on cpu (float32 forward, eps 1e-2). */
async function numericGrad(f: (x: tf.Tensor) => tf.Tensor, xShape: number[]): Promise<Float64Array> {
  await tf.setBackend('cpu');
  const x0 = seededInput(xShape, 1);
  const r = seededInput(f(x0).shape, 3);
  const base = Float64Array.from(x0.dataSync());
  const value = (v: Float64Array): number =>
    tf.tidy(() => tf.sum(tf.mul(f(tf.tensor(Float32Array.from(v), xShape)), r)).dataSync()[0] as number);
  const out = new Float64Array(base.length);
  const eps = 1e-2;
  for (let i = 0; i < base.length; i++) {
    const plus = base.slice();
    const minus = base.slice();
    plus[i] = (plus[i] as number) + eps;
    minus[i] = (minus[i] as number) - eps;
    out[i] = (value(plus) - value(minus)) / (2 * eps);
  }
  return out;
}

async function gradOfX(backend: string, f: (x: tf.Tensor) => tf.Tensor, xShape: number[]): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = seededInput(xShape, 1);
    const r = seededInput(f(x).shape, 3);
    return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))(x).dataSync() as Float32Array;
  });
}

const conv2d = (s: number | [number, number], pad: 'same' | 'valid'): Op => (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad);
const conv1d = (s: number, pad: 'same' | 'valid'): Op => (x, w) => tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, s, pad);
const depthwise = (s: number, pad: 'same' | 'valid'): Op => (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad);

const CASES: Array<[string, Op, number[], number[]]> = [
  ['conv2d 3x3 stride 1 same', conv2d(1, 'same'), [2, 7, 6, 3], [3, 3, 3, 4]],
  ['conv2d 3x3 stride 2 same (odd input)', conv2d(2, 'same'), [2, 7, 6, 3], [3, 3, 3, 4]],
  ['conv2d 3x2 stride 2 valid', conv2d(2, 'valid'), [2, 8, 7, 3], [3, 2, 3, 4]],
  ['conv2d 2x3 stride [1,3] same', conv2d([1, 3], 'same'), [1, 8, 7, 2], [2, 3, 2, 5]],
  ['conv2d 1x1 valid', conv2d(1, 'valid'), [2, 4, 4, 3], [1, 1, 3, 2]],
  ['conv2d 3x2 stride 1 valid', conv2d(1, 'valid'), [2, 6, 5, 3], [3, 2, 3, 4]],
  ['conv2d 2x2 stride 1 same (asymmetric padding)', conv2d(1, 'same'), [2, 5, 6, 2], [2, 2, 2, 3]],
  ['conv1d k3 stride 1 same', conv1d(1, 'same'), [2, 9, 3], [3, 3, 5]],
  ['conv1d k4 stride 2 valid', conv1d(2, 'valid'), [2, 9, 3], [4, 3, 5]],
  ['depthwise 3x3 mult 2 stride 1 same', depthwise(1, 'same'), [2, 7, 6, 3], [3, 3, 3, 2]],
  ['depthwise 3x3 mult 2 stride 2 same', depthwise(2, 'same'), [2, 7, 6, 3], [3, 3, 3, 2]],
  ['depthwise 3x2 mult 1 stride 2 valid', depthwise(2, 'valid'), [2, 8, 7, 3], [3, 2, 3, 1]],
  ['gather (Embedding) gradient -> UnsortedSegmentSum', (x, w) => tf.mul(tf.gather(w, tf.tensor1d([0, 2, 2, 1, 4], 'int32')), tf.sum(x)), [2], [5, 3]],
];

describe('wasm gradient kernels', () => {
  beforeAll(async () => {
    const info = await initTrainingBackend('wasm', { log: () => {} });
    expect(info.backend).toBe('wasm');
  });

  it('registers the kernels the wasm backend lacks', () => {
    for (const name of [...WASM_GRADIENT_KERNELS, ...WASM_REPLACED_KERNELS]) expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
  });

  for (const [name, f, xShape, wShape] of CASES) {
    it(`${name}: gradients match the cpu backend within 1e-5`, async () => {
      const [cx, cw] = await gradsOn('cpu', f, xShape, wShape);
      const [wx, ww] = await gradsOn('wasm', f, xShape, wShape);
      expect(maxAbsDiff(cx, wx)).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(cw, ww)).toBeLessThanOrEqual(1e-5);
      expect(Math.max(...Array.from(cw, Math.abs))).toBeGreaterThan(0);
    });
  }

  const POOLS: Array<[string, (x: tf.Tensor) => tf.Tensor, number[]]> = [
    ['maxPool 2x2 stride 2 same (odd input)', (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'same'), [2, 7, 5, 3]],
    ['maxPool 2x2 stride 2 valid', (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), [1, 8, 6, 2]],
    ['maxPool 3x3 stride 2 same', (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'), [1, 7, 5, 2]],
    ['avgPool 3x3 stride 2 same', (x) => tf.avgPool(x as tf.Tensor4D, 3, 2, 'same'), [1, 7, 5, 2]],
    ['avgPool 2x2 stride 2 valid', (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'), [1, 8, 6, 2]],
  ];
  for (const [name, f, shape] of POOLS) {
    // maxPool: the cpu kernel is right (first maximum per window), so compare exactly; a numeric
    // gradient is unreliable there (near-ties flip the max). avgPool 'same': cpu has the border
    // bug too, so compare with the numeric gradient.
    const reference = name.startsWith('maxPool') ? 'cpu backend' : 'numeric gradient';
    it(`${name}: wasm gradient (replaced kernel) matches the ${reference}`, async () => {
      const wasm = await gradOfX('wasm', f, shape);
      if (name.startsWith('maxPool')) expect(maxAbsDiff(wasm, await gradOfX('cpu', f, shape))).toBeLessThanOrEqual(1e-6);
      else expect(maxAbsDiff(wasm, await numericGrad(f, shape))).toBeLessThanOrEqual(1e-3);
    });
  }

  it('cpu AvgPoolGrad fix (used when training falls back to cpu) matches the numeric gradient', async () => {
    fixCpuAvgPoolGrad();
    const f = (x: tf.Tensor): tf.Tensor => tf.avgPool(x as tf.Tensor4D, 3, 2, 'same');
    expect(maxAbsDiff(await gradOfX('cpu', f, [1, 7, 5, 2]), await numericGrad(f, [1, 7, 5, 2]))).toBeLessThanOrEqual(1e-3);
  });

  it('a small conv model (Conv2D/BN/MaxPool/DepthwiseConv2D) trains on wasm: loss decreases', async () => {
    await tf.setBackend('wasm');
    const init = seededInitializers(3);
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', ...init.dense() }),
        tf.layers.batchNormalization({}),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: init.glorotUniform() }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, activation: 'softmax', ...init.dense() }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    // Class 1 = bright left half, class 0 = bright right half.
    const n = 32;
    const xs = new Float32Array(n * 64);
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const cls = i % 2;
      labels.push(cls);
      for (let p = 0; p < 64; p++) xs[i * 64 + p] = ((p % 8 < 4) === (cls === 1) ? 1 : 0) + 0.1 * Math.sin(i + p);
    }
    const x = tf.tensor4d(xs, [n, 8, 8, 1]);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 2);
    const h = await model.fit(x, y, { epochs: 8, batchSize: 8, shuffle: false, verbose: 0 });
    const loss = h.history.loss as number[];
    expect(tf.getBackend()).toBe('wasm');
    expect(loss[loss.length - 1]).toBeLessThan((loss[0] as number) * 0.7);
  });

  it('a Conv1D + LSTM + Embedding model trains on wasm', async () => {
    await tf.setBackend('wasm');
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 6, outputDim: 3, inputLength: 8 }),
        tf.layers.conv1d({ filters: 4, kernelSize: 3, activation: 'relu' }),
        tf.layers.lstm({ units: 4 }),
        tf.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'binaryCrossentropy' });
    const rows = Array.from({ length: 16 }, (_, i) => Array.from({ length: 8 }, (_, t) => (i % 2 === 0 ? (t % 3) : 3 + (t % 3))));
    const x = tf.tensor2d(rows);
    const y = tf.tensor2d(rows.map((_, i) => [i % 2]));
    const h = await model.fit(x, y, { epochs: 10, batchSize: 8, shuffle: false, verbose: 0 });
    const loss = h.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] as number);
  });
});
