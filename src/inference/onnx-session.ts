/**
 * InferenceSession over onnxruntime-node. CPU execution provider by default; STREAMLENS_EP=cuda
 * (or options.executionProvider) asks for CUDA and falls back to CPU with a warning when the CUDA
 * provider cannot be loaded. Intra-op threads default to 1 (one core per worker).
 *
 * On the CPU provider the graph is first rewritten for serving (src/inference/onnx/: 1-D convolution
 * chains as one batched GEMM each), and the rewrite is checked against the original graph before it
 * serves. STREAMLENS_ONNX_REWRITE=off (or options.rewrite = false) serves the graph as stored.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { createServingGraph, type ServingGraphOptions } from './onnx/verified-rewrite.js';
import { checkInput, type InferenceSession, type TensorResult } from './session.js';
import { envValue } from '../core/environment.js';

export type OnnxExecutionProvider = 'cpu' | 'cuda';

export interface OnnxSessionOptions {
  /** Default: env STREAMLENS_EP ('cuda' or 'cpu'), else 'cpu'. */
  executionProvider?: OnnxExecutionProvider;
  /** Threads inside one operator (default 1). */
  intraOpThreads?: number;
  /** Threads across independent operators (default 1). */
  interOpThreads?: number;
  /** Warnings (CUDA fallback, a refused rewrite) go here; default console.error. */
  log?: (line: string) => void;
  /** Serving-graph rewrite on the CPU provider (default: env STREAMLENS_ONNX_REWRITE, else on). */
  rewrite?: boolean;
  /**
   * Batches smaller than this run on the graph as stored, larger ones on the rewritten graph (default 2:
   * at batch 1 the stored graph's fewer, fused kernels are as fast or faster; from batch 2 on the
   * GEMM form is faster). 1 sends every batch to the rewritten graph.
   */
  rewriteMinBatch?: number;
  /** Replace the rewrite itself (tests). */
  rewriter?: ServingGraphOptions['rewriter'];
}

export function rewriteFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return envValue('STREAMLENS_ONNX_REWRITE', env);
}

export function executionProviderFromEnv(env: NodeJS.ProcessEnv = process.env): OnnxExecutionProvider {
  return envValue('STREAMLENS_EP', env) ?? 'cpu';
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
    /** The serving-graph rewrite in use, or null for the graph as stored. */
    readonly graphRewrite: string | null = null,
    /** The graph as stored, for batches below `minBatch` (when a rewrite serves). */
    private readonly small: ort.InferenceSession | null = null,
    private readonly minBatch = 1,
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
    const session = this.small != null && (shape[0] as number) < this.minBatch ? this.small : this.session;
    const out = await session.run(feeds, [this.outputName]);
    const t = out[this.outputName];
    if (!t) throw new Error(`onnx session: output '${this.outputName}' missing from the result`);
    if (t.type !== 'float32') throw new Error(`onnx session: output '${this.outputName}' is ${t.type}, expected float32`);
    return { data: t.data as Float32Array, shape: t.dims.map(Number) };
  }

  async dispose(): Promise<void> {
    await this.session.release();
    await this.small?.release();
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
  const minBatch = positiveInt(options.rewriteMinBatch, 2, 'rewriteMinBatch');
  const create = (src: string | Uint8Array, eps: ort.InferenceSession.ExecutionProviderConfig[]): Promise<ort.InferenceSession> =>
    typeof src === 'string'
      ? ort.InferenceSession.create(src, { ...base, executionProviders: eps })
      : ort.InferenceSession.create(src, { ...base, executionProviders: eps });
  if (provider === 'cuda') {
    try {
      return new OnnxSession(await create(source, ['cuda']), 'cuda');
    } catch (err) {
      log(`[streamlens] CUDA execution provider unavailable (${(err as Error).message.split('\n')[0]}); using CPU`);
    }
  }
  const what = typeof source === 'string' ? source : `${source.byteLength}-byte model`;
  try {
    if (!(options.rewrite ?? rewriteFromEnv())) return new OnnxSession(await create(source, ['cpu']), 'cpu');
    const bytes = typeof source === 'string' ? new Uint8Array(await readFile(source)) : source;
    const served = await createServingGraph(bytes, (model) => create(model, ['cpu']), { log, rewriter: options.rewriter });
    if (served.original != null && minBatch === 1) await served.original.release();
    const small = minBatch > 1 ? served.original : null;
    return new OnnxSession(served.session, 'cpu', served.rewrite && `${served.rewrite}${small ? `, batches >= ${minBatch}` : ''}`, small, minBatch);
  } catch (err) {
    throw new Error(`cannot load ONNX model ${what}: ${(err as Error).message}`);
  }
}
