import * as ort from 'onnxruntime-node';
import { decodeResizedRgb, normaliseRgb } from '../../features/image/preprocess.js';
import type { ImageFeatureSettings } from '../../features/image/settings.js';
import { cascadeProbs } from './cascade.js';
import { decideLabel } from './decide-label.js';
import type { ServedGraphs } from './mahalanobis-gate.js';

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

export interface ServedImageScores {
  probs: number[][];
  /** Per photo, whether the fast stage passed it to the full model (all false without a cascade). */
  escalated: boolean[];
  /** Labels as served: the arg-max, or "unknown" below the unknown threshold. */
  decided: string[];
}

/** What the served cascade (or the full model alone) answers on `inputs`, from graph bytes. */
export async function scoreServedGraphs(graphs: ServedGraphs, s: ImageFeatureSettings, inputs: Array<string | Buffer>, labels: readonly string[], cascadeThreshold: number | undefined, unknownThreshold: number | undefined): Promise<ServedImageScores> {
  const full = await scoreFilesOnnx(graphs.onnx, s, inputs);
  const c = graphs.fastOnnx && cascadeThreshold !== undefined ? cascadeProbs(await scoreFilesOnnx(graphs.fastOnnx, s, inputs), full, cascadeThreshold) : { probs: full, escalated: full.map(() => false) };
  return { ...c, decided: c.probs.map((p) => decideLabel(labels, p, unknownThreshold)) };
}

