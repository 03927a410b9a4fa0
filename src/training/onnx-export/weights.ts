/** Reading a tfjs layer's weights by role and reordering them for ONNX. */
import type * as tf from '@tensorflow/tfjs';

export interface WeightArray {
  data: Float32Array;
  shape: number[];
}

/**
 * A layer's weights keyed by role: the last path segment of the variable's original name
 * ('kernel', 'bias', 'gamma', 'moving_mean', 'recurrent_kernel', 'depthwise_kernel', ...).
 */
export function layerWeights(layer: tf.layers.Layer): Map<string, WeightArray> {
  const out = new Map<string, WeightArray>();
  for (const w of layer.weights) {
    const full = (w as unknown as { originalName?: string }).originalName ?? w.name;
    const role = full.split('/').pop()?.replace(/:\d+$/, '') ?? full;
    const value = w.read();
    out.set(role, { data: Float32Array.from(value.dataSync() as Float32Array), shape: value.shape.slice() });
  }
  return out;
}

/** The weight `role` of `layer`, or a clear error naming the layer if it is missing. */
export function requireWeight(weights: Map<string, WeightArray>, role: string, layerName: string): WeightArray {
  const w = weights.get(role);
  if (!w) {
    throw new Error(`ONNX export: layer '${layerName}' has no '${role}' weight (has: ${[...weights.keys()].join(', ') || 'none'})`);
  }
  return w;
}

/** Row-major transpose of `data` with `shape` by `perm` (out axis i = in axis perm[i]). */
export function transposeWeights(w: WeightArray, perm: number[]): WeightArray {
  const { data, shape } = w;
  const rank = shape.length;
  if (perm.length !== rank) throw new Error(`transposeWeights: perm length ${perm.length} != rank ${rank}`);
  const outShape = perm.map((p) => shape[p] as number);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = (inStrides[i + 1] as number) * (shape[i + 1] as number);
  const strideForOut = perm.map((p) => inStrides[p] as number);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += (idx[i] as number) * (strideForOut[i] as number);
    out[o] = data[src] as number;
    for (let i = rank - 1; i >= 0; i--) {
      idx[i] = (idx[i] as number) + 1;
      if ((idx[i] as number) < (outShape[i] as number)) break;
      idx[i] = 0;
    }
  }
  return { data: out, shape: outShape };
}
