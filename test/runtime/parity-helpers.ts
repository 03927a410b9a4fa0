import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { createRng } from '../../src/training/seeding.js';
import { exportToOnnx } from '../../src/training/onnx-export/index.js';

/** Overwrite every weight with seeded random values (variances positive) so no weight is trivial. */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const rng = createRng(seed);
  for (const w of model.weights) {
    const shape = w.shape as number[];
    const size = shape.reduce((p, d) => p * d, 1);
    const values = new Float32Array(size);
    const positive = /variance/.test(w.originalName);
    for (let i = 0; i < size; i++) values[i] = positive ? 0.5 + rng() : (rng() - 0.5) * 1.2;
    w.write(tf.tensor(values, shape, 'float32'));
  }
}

export function seededInput(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  const rng = createRng(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * rng();
  return tf.tensor(v, shape, 'float32');
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

export interface ParityResult {
  maxDiff: number;
  tfjsShape: number[];
  onnxShape: number[];
  /** max - min of the tfjs output: guards against trivially matching constant outputs. */
  outputSpread: number;
}

/** Export `model`, run `x` through tfjs (current backend) and onnxruntime, compare. */
export async function onnxParity(model: tf.LayersModel, x: tf.Tensor): Promise<ParityResult> {
  const bytes = exportToOnnx(model);
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, executionProviders: ['cpu'] });
  try {
    const expected = model.predict(x) as tf.Tensor;
    const feeds = { [session.inputNames[0] as string]: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) };
    const out = await session.run(feeds);
    const got = out[session.outputNames[0] as string] as ort.Tensor;
    const expectedData = expected.dataSync() as Float32Array;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of expectedData) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const result = {
      outputSpread: hi - lo,
      maxDiff: maxAbsDiff(expectedData, got.data as Float32Array),
      tfjsShape: expected.shape.slice(),
      onnxShape: got.dims.map(Number),
    };
    expected.dispose();
    return result;
  } finally {
    await session.release();
  }
}
