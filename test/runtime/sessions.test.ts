import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLayersModelFromDir, saveLayersModelToDir } from '../../src/inference/layers-model-dir.js';
import { saveOnnx } from '../../src/training/onnx-export/index.js';
import { createOnnxSession, executionProviderFromEnv } from '../../src/inference/onnx-session.js';
import { createTfjsSession } from '../../src/inference/tfjs-session.js';
import { maxAbsDiff, randomizeWeights, seededInput } from './parity-helpers.js';

describe('inference sessions (onnxruntime-node and tfjs wasm) behind one interface', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamlens-sessions-'));
  let model: tf.LayersModel;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = tf.sequential({
      layers: [
        tf.layers.conv1d({ inputShape: [10, 2], filters: 4, kernelSize: 3, activation: 'relu' }),
        tf.layers.globalAveragePooling1d({}),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    randomizeWeights(model, 11);
    await saveLayersModelToDir(model, join(dir, 'tfjs'));
    await saveOnnx(model, join(dir, 'model.onnx'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips a LayersModel through a folder', async () => {
    const loaded = await loadLayersModelFromDir(join(dir, 'tfjs'));
    const x = seededInput([2, 10, 2], 3);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(maxAbsDiff(a, b)).toBe(0);
  });

  it('onnx (from file) and tfjs wasm (from folder) sessions agree', async () => {
    const x = seededInput([3, 10, 2], 5);
    const data = x.dataSync() as Float32Array;
    const onnx = await createOnnxSession(join(dir, 'model.onnx'), { executionProvider: 'cpu' });
    const wasm = await createTfjsSession(join(dir, 'tfjs'));
    const a = await onnx.run(data, [3, 10, 2]);
    const b = await wasm.run(data, [3, 10, 2]);
    expect(onnx.runtime).toBe('onnxruntime/cpu');
    expect(wasm.runtime).toBe('tfjs/wasm');
    expect(a.shape).toEqual([3, 3]);
    expect(b.shape).toEqual([3, 3]);
    expect(maxAbsDiff(a.data, b.data)).toBeLessThanOrEqual(1e-5);
    await onnx.dispose();
    await wasm.dispose();
  });

  it('rejects input whose length does not match the shape, naming both', async () => {
    const onnx = await createOnnxSession(join(dir, 'model.onnx'));
    await expect(onnx.run(new Float32Array(5), [1, 10, 2])).rejects.toThrow(/5 values but shape \[1, 10, 2\] needs 20/);
    await onnx.dispose();
  });

  it('reads STREAMLENS_EP and rejects unknown providers', () => {
    expect(executionProviderFromEnv({})).toBe('cpu');
    expect(executionProviderFromEnv({ STREAMLENS_EP: 'CUDA' })).toBe('cuda');
    expect(() => executionProviderFromEnv({ STREAMLENS_EP: 'tpu' })).toThrow(/STREAMLENS_EP/);
  });

  it('falls back to CPU with a warning when CUDA cannot be loaded', async () => {
    const lines: string[] = [];
    const session = await createOnnxSession(join(dir, 'model.onnx'), { executionProvider: 'cuda', log: (l) => lines.push(l) });
    if (session.runtime === 'onnxruntime/cuda') {
      // A machine with a working CUDA provider: nothing to fall back from.
      expect(lines).toHaveLength(0);
    } else {
      expect(session.runtime).toBe('onnxruntime/cpu');
      expect(lines.join('\n')).toMatch(/CUDA execution provider unavailable/);
    }
    await session.dispose();
  });

  it('says which file is wrong when the model cannot be read', async () => {
    await expect(createOnnxSession(join(dir, 'missing.onnx'))).rejects.toThrow(/missing\.onnx/);
    await expect(loadLayersModelFromDir(join(dir, 'nope'))).rejects.toThrow(/model\.json/);
  });
});
