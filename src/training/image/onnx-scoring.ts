import * as ort from 'onnxruntime-node';
import { decodeResizedRgb, normaliseRgb } from '../../features/image/preprocess.js';
import type { ImageFeatureSettings } from '../../features/image/settings.js';

/** Class probabilities of images (paths or bytes) through an ONNX classifier given as bytes, in batches. */
export async function scoreFilesOnnx(onnx: Uint8Array, s: ImageFeatureSettings, inputs: Array<string | Buffer>, batchSize = 16): Promise<number[][]> {
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const size = s.width * s.height * 3;
  const out: number[][] = [];
  try {
    for (let start = 0; start < inputs.length; start += batchSize) {
      const chunk = inputs.slice(start, start + batchSize);
      const x = new Float32Array(chunk.length * size);
      for (let i = 0; i < chunk.length; i++) normaliseRgb((await decodeResizedRgb(chunk[i], s)).rgb, s, x, i * size);
      const r = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [chunk.length, s.height, s.width, 3]) });
      const p = r[session.outputNames[0]].data as Float32Array;
      const k = p.length / chunk.length;
      for (let i = 0; i < chunk.length; i++) out.push(Array.from(p.subarray(i * k, (i + 1) * k)));
    }
  } finally {
    await session.release();
  }
  return out;
}
