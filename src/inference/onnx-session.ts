/**
 * InferenceSession over onnxruntime-node. CPU execution provider by default; STREAMLENS_EP=cuda
 * (or options.executionProvider) asks for CUDA and falls back to CPU with a warning when the CUDA
 * provider cannot be loaded. Intra-op threads default to 1 (one core per worker).
 */
import * as ort from 'onnxruntime-node';
import { checkInput, type InferenceSession, type TensorResult } from './session.js';

export type OnnxExecutionProvider = 'cpu' | 'cuda';

export interface OnnxSessionOptions {
  /** Default: env STREAMLENS_EP ('cuda' or 'cpu'), else 'cpu'. */
  executionProvider?: OnnxExecutionProvider;
  /** Threads inside one operator (default 1). */
  intraOpThreads?: number;
  /** Threads across independent operators (default 1). */
  interOpThreads?: number;
  /** Warnings (CUDA fallback) go here; default console.error. */
  log?: (line: string) => void;
}

export function executionProviderFromEnv(env: NodeJS.ProcessEnv = process.env): OnnxExecutionProvider {
  const v = (env.STREAMLENS_EP ?? 'cpu').trim().toLowerCase();
  if (v === 'cuda' || v === 'cpu' || v === '') return v === 'cuda' ? 'cuda' : 'cpu';
  throw new Error(`STREAMLENS_EP must be 'cpu' or 'cuda', got '${env.STREAMLENS_EP}'`);
}

function positiveInt(v: number | undefined, fallback: number, what: string): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, got ${v}`);
  return n;
}

class OnnxSession implements InferenceSession {
  readonly runtime: string;
  readonly inputName: string;
  readonly outputName: string;

  constructor(
    private readonly session: ort.InferenceSession,
    provider: OnnxExecutionProvider,
  ) {
    this.runtime = `onnxruntime/${provider}`;
    const input = session.inputNames[0];
    const output = session.outputNames[0];
    if (input == null || output == null) throw new Error('ONNX model has no input or no output');
    this.inputName = input;
    this.outputName = output;
  }

  async run(input: Float32Array, shape: readonly number[]): Promise<TensorResult> {
    checkInput(input, shape, `onnx session '${this.inputName}'`);
    const feeds = { [this.inputName]: new ort.Tensor('float32', input, shape.slice()) };
    const out = await this.session.run(feeds, [this.outputName]);
    const t = out[this.outputName];
    if (!t) throw new Error(`onnx session: output '${this.outputName}' missing from the result`);
    if (t.type !== 'float32') throw new Error(`onnx session: output '${this.outputName}' is ${t.type}, expected float32`);
    return { data: t.data as Float32Array, shape: t.dims.map(Number) };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** Create a session from a .onnx file path or the model bytes. */
export async function createOnnxSession(
  source: string | Uint8Array,
  options: OnnxSessionOptions = {},
): Promise<InferenceSession> {
  const log = options.log ?? ((line: string) => console.error(line));
  const provider = options.executionProvider ?? executionProviderFromEnv();
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: positiveInt(options.intraOpThreads, 1, 'intraOpThreads'),
    interOpNumThreads: positiveInt(options.interOpThreads, 1, 'interOpThreads'),
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  };
  const create = (eps: ort.InferenceSession.ExecutionProviderConfig[]): Promise<ort.InferenceSession> =>
    typeof source === 'string'
      ? ort.InferenceSession.create(source, { ...base, executionProviders: eps })
      : ort.InferenceSession.create(source, { ...base, executionProviders: eps });
  if (provider === 'cuda') {
    try {
      return new OnnxSession(await create(['cuda']), 'cuda');
    } catch (err) {
      log(`[streamlens] CUDA execution provider unavailable (${(err as Error).message.split('\n')[0]}); using CPU`);
    }
  }
  try {
    return new OnnxSession(await create(['cpu']), 'cpu');
  } catch (err) {
    const what = typeof source === 'string' ? source : `${source.byteLength}-byte model`;
    throw new Error(`cannot load ONNX model ${what}: ${(err as Error).message}`);
  }
}
