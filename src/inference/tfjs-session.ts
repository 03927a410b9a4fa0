/**
 * InferenceSession running a tfjs LayersModel on the wasm backend: the fallback that needs
 * nothing native. Note tfjs has one global backend per process: this switches it to wasm
 * (or the backend asked for).
 */
import * as tf from '@tensorflow/tfjs';
import { prepareWasmBackend } from './tfjs-backend.js';
import { loadLayersModelFromDir } from './layers-model-dir.js';
import { checkInput, type InferenceSession, type TensorResult } from './session.js';

export interface TfjsSessionOptions {
  /** tfjs backend to run on (default 'wasm'). */
  backend?: 'wasm' | 'cpu';
}

class TfjsSession implements InferenceSession {
  readonly runtime: string;
  readonly inputName: string;
  readonly outputName: string;

  constructor(
    private readonly model: tf.LayersModel,
    backend: string,
  ) {
    this.runtime = `tfjs/${backend}`;
    if (model.inputs.length !== 1 || model.outputs.length !== 1) {
      throw new Error(`tfjs session: model '${model.name}' must have exactly one input and one output`);
    }
    this.inputName = model.inputNames[0] as string;
    this.outputName = model.outputNames[0] as string;
  }

  async run(input: Float32Array, shape: readonly number[]): Promise<TensorResult> {
    checkInput(input, shape, `tfjs session '${this.inputName}'`);
    const expected = this.model.inputs[0]?.shape ?? [];
    if (expected.length !== shape.length || expected.some((d, i) => d != null && d !== shape[i])) {
      throw new Error(`tfjs session: input shape [${shape.join(', ')}] does not match the model's [${expected.map((d) => d ?? 'batch').join(', ')}]`);
    }
    const y = tf.tidy(() => this.model.predict(tf.tensor(input, shape.slice(), 'float32')) as tf.Tensor);
    try {
      const data = (await y.data()) as Float32Array;
      return { data: Float32Array.from(data), shape: y.shape.slice() };
    } finally {
      y.dispose();
    }
  }

  async dispose(): Promise<void> {
    this.model.dispose();
  }
}

/** Create a session from a LayersModel or a model folder (model.json + shards). */
export async function createTfjsSession(
  source: tf.LayersModel | string,
  options: TfjsSessionOptions = {},
): Promise<InferenceSession> {
  const backend = options.backend ?? 'wasm';
  if (backend === 'wasm') await prepareWasmBackend();
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs session: backend '${backend}' failed to start`);
  await tf.ready();
  const model = typeof source === 'string' ? await loadLayersModelFromDir(source) : source;
  return new TfjsSession(model, backend);
}
