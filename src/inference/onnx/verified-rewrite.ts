/**
 * Load-time graph rewrites for serving, each checked against the original graph before it serves.
 *
 * The rewritten model must give the original's outputs (within 1e-4, relative to the output's
 * magnitude) on a random batch; otherwise the original graph serves and the reason is logged. So a
 * rewrite can make a model faster but never change its answers.
 */
import * as ort from 'onnxruntime-node';
import { decodeOnnxModel, encodeOnnxModel, type OnnxModel } from './onnx-proto.js';
import { mulberry32 } from '../../core/random.js';
import { rewriteConv1dAsGemm, type RewriteResult } from './conv1d-as-gemm.js';

export const REWRITE_TOLERANCE = 1e-4;

export interface ServingGraph {
  /** The rewritten graph when there is one, else the original. */
  session: ort.InferenceSession;
  /** The original graph; present only when the rewrite was accepted (the caller owns and releases it). */
  original: ort.InferenceSession | null;
  /** What was rewritten, e.g. 'conv1d-as-gemm (3 convs)'; null when the original graph serves. */
  rewrite: string | null;
}

export interface ServingGraphOptions {
  /** The rewrite to apply (default rewriteConv1dAsGemm; tests pass a broken one to see it refused). */
  rewriter?: (model: OnnxModel) => RewriteResult;
  log: (line: string) => void;
}

/** A seeded normal(0, 1)-ish batch, so a failed check can be reproduced. */
function checkBatch(count: number, seed = 12345): Float32Array {
  const rng = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (rng() + rng() + rng() + rng() - 2) * 1.7; // Irwin-Hall, variance ~1
  return out;
}

/** The static input shape with batch 2, or null when a non-batch dimension is dynamic or there are several inputs. */
function checkShape(model: OnnxModel): number[] | null {
  const initializers = new Set(model.graph.initializer.map((t) => t.name));
  const inputs = model.graph.input.filter((i) => !initializers.has(i.name));
  if (inputs.length !== 1 || inputs[0]?.type.tensorType.elemType !== 1) return null;
  const dims = inputs[0].type.tensorType.shape.dim.map((d) => (d.dimValue == null ? null : Number(d.dimValue)));
  if (dims.length < 2 || dims.slice(1).some((d) => d == null || d < 1)) return null;
  return [2, ...(dims.slice(1) as number[])];
}

/**
 * Create the serving session for `bytes`: the rewritten graph when a rewrite applies and agrees with
 * the original, else the original.
 */
export async function createServingGraph(
  bytes: Uint8Array,
  load: (model: Uint8Array) => Promise<ort.InferenceSession>,
  options: ServingGraphOptions,
): Promise<ServingGraph> {
  const original = await load(bytes);
  let rewritten: RewriteResult;
  let shape: number[] | null;
  try {
    const model = decodeOnnxModel(bytes);
    shape = checkShape(model);
    rewritten = shape == null ? { model, convs: 0 } : (options.rewriter ?? rewriteConv1dAsGemm)(model);
  } catch (err) {
    options.log(`[streamlens] serving-graph rewrite skipped: ${(err as Error).message}`);
    return { session: original, original: null, rewrite: null };
  }
  if (rewritten.convs === 0 || shape == null) return { session: original, original: null, rewrite: null };
  let candidate: ort.InferenceSession | null = null;
  try {
    candidate = await load(encodeOnnxModel(rewritten.model));
    const inputName = original.inputNames[0] as string;
    const feeds = { [inputName]: new ort.Tensor('float32', checkBatch(shape.reduce((p, d) => p * d, 1)), shape) };
    const [want, got] = [await original.run(feeds), await candidate.run(feeds)];
    for (const name of original.outputNames) {
      const a = want[name]?.data as Float32Array | undefined;
      const b = got[name]?.data as Float32Array | undefined;
      if (!a || !b || a.length !== b.length) throw new Error(`output '${name}' is missing or has another size`);
      let scale = 1;
      for (const v of a) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < a.length; i++) {
        const d = Math.abs((a[i] as number) - (b[i] as number));
        if (!(d <= REWRITE_TOLERANCE * scale)) throw new Error(`output '${name}'[${i}] differs by ${d} (tolerance ${REWRITE_TOLERANCE * scale})`);
      }
    }
  } catch (err) {
    options.log(`[streamlens] serving-graph rewrite refused, the original graph serves: ${(err as Error).message}`);
    await candidate?.release();
    return { session: original, original: null, rewrite: null };
  }
  return { session: candidate, original, rewrite: `conv1d-as-gemm (${rewritten.convs} conv${rewritten.convs === 1 ? '' : 's'})` };
}
