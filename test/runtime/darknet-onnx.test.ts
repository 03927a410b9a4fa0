import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireDataPath, sharedModelsRoot } from '../../src/core/paths.js';
import { loadLayersModelFromDir } from '../../src/inference/layers-model-dir.js';
import { createOnnxSession } from '../../src/inference/onnx-session.js';
import { exportToOnnx } from '../../src/training/onnx-export/index.js';
import { createTfjsSession } from '../../src/inference/tfjs-session.js';
import { maxAbsDiff } from './parity-helpers.js';

const SIZE = 224;

async function photoTensor(path: string): Promise<Float32Array> {
  const raw = await sharp(path).removeAlpha().resize(SIZE, SIZE, { fit: 'fill' }).raw().toBuffer();
  if (raw.length !== SIZE * SIZE * 3) throw new Error(`unexpected decoded size ${raw.length}`);
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = (raw[i] as number) / 255;
  return out;
}

function topK(logits: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: logits.length }, (_, i) => i)
    .sort((a, b) => (logits[b] as number) - (logits[a] as number))
    .slice(0, k);
}

describe('Darknet-Tiny: tfjs (cpu) vs exported ONNX (onnxruntime-node) on a real photo', () => {
  const dir = join(sharedModelsRoot(), 'darknet-tiny');
  const classes = JSON.parse(readFileSync(join(dir, 'darknet_classes.json'), 'utf8')) as string[];
  let model: tf.LayersModel;
  let onnxBytes: Uint8Array;
  let input: Float32Array;
  let tfjsLogits: Float32Array;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = await loadLayersModelFromDir(dir);
    onnxBytes = exportToOnnx(model);
    const photo = join(requireDataPath('animals/cat', 'animal photos'), 'cat.0.jpg');
    input = await photoTensor(photo);
    const y = model.predict(tf.tensor(input, [1, SIZE, SIZE, 3])) as tf.Tensor;
    tfjsLogits = Float32Array.from(y.dataSync());
    y.dispose();
  });

  it('loads the pretrained model from its folder (model.json + 31 shards)', () => {
    expect(model.inputs[0]?.shape).toEqual([null, SIZE, SIZE, 3]);
    expect(model.outputs[0]?.shape).toEqual([null, 1000]);
    expect(classes).toHaveLength(1000);
  });

  it('gives the same top-5 classes and logits within 1e-4 on onnxruntime-node', async () => {
    const session = await createOnnxSession(onnxBytes, { intraOpThreads: 1 });
    try {
      const out = await session.run(input, [1, SIZE, SIZE, 3]);
      expect(out.shape).toEqual([1, 1000]);
      const diff = maxAbsDiff(tfjsLogits, out.data);
      const scale = Math.max(...Array.from(tfjsLogits, Math.abs));
      console.error(
        `[darknet parity] max |logit diff| = ${diff.toExponential(2)} (max |logit| ${scale.toFixed(2)}); ` +
          `top-5: ${topK(out.data, 5).map((i) => classes[i]).join(', ')}`,
      );
      expect(topK(out.data, 5)).toEqual(topK(tfjsLogits, 5));
      expect(diff).toBeLessThanOrEqual(1e-4);
    } finally {
      await session.dispose();
    }
  });

  it('runs through the tfjs wasm session with the same top-5', async () => {
    const session = await createTfjsSession(model, { backend: 'wasm' });
    const out = await session.run(input, [1, SIZE, SIZE, 3]);
    expect(session.runtime).toBe('tfjs/wasm');
    expect(topK(out.data, 5)).toEqual(topK(tfjsLogits, 5));
    expect(maxAbsDiff(tfjsLogits, out.data)).toBeLessThanOrEqual(1e-3);
  });
});
