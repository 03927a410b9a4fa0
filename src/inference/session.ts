/**
 * The common interface of our inference runtimes (onnxruntime-node, tfjs wasm): one float32
 * input tensor in, one float32 output tensor out, as flat typed arrays plus shapes.
 */

export interface TensorResult {
  data: Float32Array;
  shape: number[];
}

export interface InferenceSession {
  /** 'onnxruntime' or 'tfjs', with the execution provider/backend, e.g. 'onnxruntime/cpu', 'tfjs/wasm'. */
  readonly runtime: string;
  /** A load-time graph rewrite in use (onnxruntime CPU: e.g. 'conv1d-as-gemm (3 convs)'), null or absent for none. */
  readonly graphRewrite?: string | null;
  readonly inputName: string;
  readonly outputName: string;
  /** Run one batch. `shape` includes the batch dimension; data.length must equal its product. */
  run(input: Float32Array, shape: readonly number[]): Promise<TensorResult>;
  /** Free native/wasm memory held by the session. */
  dispose(): Promise<void>;
}

/** Throw a clear error when `data` does not fill `shape`. */
export function checkInput(data: Float32Array, shape: readonly number[], what: string): void {
  if (!(data instanceof Float32Array)) throw new Error(`${what}: input must be a Float32Array`);
  if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(`${what}: invalid input shape [${shape.join(', ')}] (positive integers, batch first)`);
  }
  const n = shape.reduce((p, d) => p * d, 1);
  if (n !== data.length) {
    throw new Error(`${what}: input has ${data.length} values but shape [${shape.join(', ')}] needs ${n}`);
  }
}
