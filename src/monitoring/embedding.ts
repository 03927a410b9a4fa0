import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeOnnxModel, encodeOnnxModel, OnnxDataType } from '../inference/onnx/onnx-proto.js';
import { pruneGraph } from '../inference/onnx/prune.js';
import { isGateNode } from '../inference/onnx/distance-gate.js';
import { createOnnxSession } from '../inference/onnx-session.js';
import type { InferenceSession } from '../inference/session.js';
import type { ModelVersion } from '../models/model-repository.js';

/**
 * Backbone-embedding summaries of an image model (issue 18): the image model's head takes the
 * backbone's (standardised) global-average-pooled embedding; monitoring summarises each photo's
 * embedding as a few numeric features with their own reference distributions:
 * - `emb_pc1` ... `emb_pcK`: projections of the centred embedding on the top K principal components
 *   of the training photos' embeddings;
 * - `emb_class_distance`: Euclidean distance to the nearest training class mean (how far a photo is
 *   from anything the model learnt).
 * The served ONNX graph outputs only class probabilities, so the embedding comes from the model's
 * own file (embeddingGraphFile), truncated in memory at the head's input (weights untouched; never
 * written to disk). That is one more backbone pass per photo embedded: live monitoring embeds one
 * sampled photo in N (src/monitoring/live.ts).
 */
export const EMBEDDING_COMPONENTS = 4;
export const EMBEDDING_SIGNIFICANT_DIGITS = 5;

export interface EmbeddingSummary {
  /** The model file and graph value summarised (the head's input), its width, and the feature names. */
  graph: string;
  output: string;
  dims: number;
  features: string[];
  /** Training mean (dims), top principal components (K x dims, unit length) and their variances. */
  mean: number[];
  components: number[][];
  explainedVariance: number[];
  /** Per training label, the mean embedding (dims). */
  classMeans: { label: string; n: number; mean: number[] }[];
}

export function embeddingFeatureNames(k: number): string[] {
  return [...Array.from({ length: k }, (_, i) => `emb_pc${i + 1}`), 'emb_class_distance'];
}

/** The input value of the graph's last Gemm/MatMul (the classifier head; an appended out-of-distribution gate is not it): the embedding. */
export function headInputName(onnx: Uint8Array): string {
  const nodes = decodeOnnxModel(onnx).graph.node;
  for (let i = nodes.length - 1; i >= 0; i--) if ((nodes[i].opType === 'Gemm' || nodes[i].opType === 'MatMul') && !isGateNode(nodes[i])) return nodes[i].input[0];
  throw new Error('embedding: the graph has no Gemm/MatMul head');
}

/** The output value of the classifier head (its logits, before the softmax). */
export function headOutputName(onnx: Uint8Array): string {
  const nodes = decodeOnnxModel(onnx).graph.node;
  for (let i = nodes.length - 1; i >= 0; i--) if ((nodes[i].opType === 'Gemm' || nodes[i].opType === 'MatMul') && !isGateNode(nodes[i])) {
    // A MatMul head adds its bias in the next node.
    const next = nodes.find((n) => n.opType === 'Add' && n.input.includes(nodes[i].output[0]));
    return nodes[i].opType === 'MatMul' && next ? next.output[0] : nodes[i].output[0];
  }
  throw new Error('embedding: the graph has no Gemm/MatMul head');
}

/**
 * The logits of every member of the classifier head, in graph order: one for a single head, one per
 * seed head of an ensemble (composeHeadEnsemble: several Gemms on the same embedding, their softmaxes averaged).
 */
export function headLogitNames(onnx: Uint8Array): string[] {
  const embedding = headInputName(onnx);
  const nodes = decodeOnnxModel(onnx).graph.node;
  const heads = nodes.filter((n) => (n.opType === 'Gemm' || n.opType === 'MatMul') && !isGateNode(n) && n.input[0] === embedding);
  return heads.map((h) => {
    const next = h.opType === 'MatMul' ? nodes.find((n) => n.opType === 'Add' && n.input.includes(h.output[0])) : undefined;
    return next ? next.output[0] : h.output[0];
  });
}

/** The model graph cut at `output` (everything after it and every unused weight dropped). */
export function embeddingGraph(onnx: Uint8Array, output = headInputName(onnx)): Uint8Array {
  const model = decodeOnnxModel(onnx);
  model.graph.output = [{ name: output, type: { tensorType: { elemType: OnnxDataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimParam: 'dims' }] } } } }];
  return encodeOnnxModel(pruneGraph(model));
}

/**
 * The graph embeddings are taken from: the cascade's fast model when the version has one (the same
 * frozen backbone on the 2x average-pooled photo, about 4x cheaper than the full graph, so live
 * monitoring can afford it more often), else the model itself.
 */
export function embeddingGraphFile(v: ModelVersion): string {
  const file = v.manifest.files.fastOnnx ?? v.manifest.files.onnx;
  if (!file) throw new Error(`model ${v.manifest.name} v${v.manifest.version} has no ONNX graph to take embeddings from`);
  return file;
}

/** An inference session returning the embedding of each input (the model's own input tensor); `graph`: a file of the version (default embeddingGraphFile). */
export async function createEmbeddingSession(v: ModelVersion, graph = embeddingGraphFile(v)): Promise<{ session: InferenceSession; output: string; graph: string }> {
  const bytes = new Uint8Array(readFileSync(join(v.dir, graph)));
  const output = headInputName(bytes);
  return { session: await createOnnxSession(embeddingGraph(bytes, output), { rewrite: false }), output, graph };
}

/** Embeddings of `inputs` (each one model input), batches of `batch`. */
export async function embedAll(session: InferenceSession, itemShape: readonly number[], inputs: readonly Float32Array[], batch = 32): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const size = itemShape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < inputs.length; i += batch) {
    const part = inputs.slice(i, i + batch);
    const x = new Float32Array(part.length * size);
    part.forEach((p, j) => x.set(p, j * size));
    const r = await session.run(x, [part.length, ...itemShape]);
    const d = r.data.length / part.length;
    for (let j = 0; j < part.length; j++) out.push(r.data.slice(j * d, (j + 1) * d));
  }
  return out;
}

/**
 * Top-k principal components of the rows (covariance with n - 1, as scikit-learn's PCA): power
 * iteration with deflation on the covariance matrix, each component's sign fixed so that its
 * largest-magnitude entry is positive.
 */
export function principalComponents(rows: readonly ArrayLike<number>[], k: number): { mean: number[]; components: number[][]; explainedVariance: number[] } {
  const n = rows.length;
  if (n < 2) throw new Error('principal components need at least 2 rows');
  const d = rows[0].length;
  const mean = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / n;
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (const r of rows) {
    for (let j = 0; j < d; j++) c[j] = r[j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ca = c[a];
      if (ca === 0) continue;
      const off = a * d;
      for (let b = a; b < d; b++) cov[off + b] += ca * c[b];
    }
  }
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      cov[a * d + b] /= n - 1;
      cov[b * d + a] = cov[a * d + b];
    }
  const components: number[][] = [];
  const explainedVariance: number[] = [];
  const v = new Float64Array(d);
  const w = new Float64Array(d);
  for (let comp = 0; comp < Math.min(k, d); comp++) {
    for (let j = 0; j < d; j++) v[j] = 1 / Math.sqrt(d) + (j % 7) * 1e-3;
    let lambda = 0;
    for (let it = 0; it < 2000; it++) {
      for (let a = 0; a < d; a++) {
        let s = 0;
        const off = a * d;
        for (let b = 0; b < d; b++) s += cov[off + b] * v[b];
        w[a] = s;
      }
      const norm = Math.hypot(...w);
      if (norm === 0) break;
      let change = 0;
      for (let j = 0; j < d; j++) {
        const x = w[j] / norm;
        change = Math.max(change, Math.abs(x - v[j]));
        v[j] = x;
      }
      lambda = norm;
      if (change < 1e-12) break;
    }
    let big = 0;
    for (let j = 1; j < d; j++) if (Math.abs(v[j]) > Math.abs(v[big])) big = j;
    const sign = v[big] < 0 ? -1 : 1;
    components.push(Array.from(v, (x) => x * sign));
    explainedVariance.push(lambda);
    // Deflate: cov -= lambda v v^T.
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b] -= lambda * v[a] * v[b];
  }
  return { mean: Array.from(mean), components, explainedVariance };
}

/** Fits the summary on the training photos' embeddings and their true labels. */
export function fitEmbeddingSummary(graph: string, output: string, embeddings: readonly Float32Array[], labels: readonly string[], k = EMBEDDING_COMPONENTS): EmbeddingSummary {
  if (embeddings.length !== labels.length) throw new Error(`embedding summary: ${embeddings.length} embeddings, ${labels.length} labels`);
  const pc = principalComponents(embeddings, k);
  const dims = embeddings[0].length;
  const classMeans = [...new Set(labels)].sort().map((label) => {
    const m = new Float64Array(dims);
    let n = 0;
    embeddings.forEach((e, i) => {
      if (labels[i] !== label) return;
      n++;
      for (let j = 0; j < dims; j++) m[j] += e[j];
    });
    return { label, n, mean: Array.from(m, (x) => round(x / n)) };
  });
  return {
    graph,
    output,
    dims,
    features: embeddingFeatureNames(pc.components.length),
    mean: pc.mean.map(round),
    components: pc.components.map((c) => c.map(round)),
    explainedVariance: pc.explainedVariance.map(round),
    classMeans,
  };
}

/** The summary's features of one embedding. */
export function embeddingFeatures(s: EmbeddingSummary, e: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  s.components.forEach((c, i) => {
    let p = 0;
    for (let j = 0; j < s.dims; j++) p += (e[j] - s.mean[j]) * c[j];
    out[s.features[i]] = p;
  });
  let nearest = Infinity;
  for (const { mean } of s.classMeans) {
    let d2 = 0;
    for (let j = 0; j < s.dims; j++) d2 += (e[j] - mean[j]) ** 2;
    nearest = Math.min(nearest, d2);
  }
  out[s.features[s.features.length - 1]] = Math.sqrt(nearest);
  return out;
}

function round(x: number): number {
  return Number(x.toPrecision(EMBEDDING_SIGNIFICANT_DIGITS));
}
