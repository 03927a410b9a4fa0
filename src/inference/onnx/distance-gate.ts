/**
 * An out-of-distribution gate appended to a classifier's ONNX graph: the squared Mahalanobis
 * distance of the head's input embedding e to the nearest class mean m_c under a covariance
 * A = L L^T, one shared by the classes or one per class (A_c = L_c L_c^T). Where the nearest is at most
 * `maxDistance`^2 the graph outputs the classifier's probabilities unchanged; beyond it, the uniform
 * distribution (no evidence for any class). The served outputs keep their names and shapes, so every
 * consumer (CascadeSession, the unknown threshold, the stage) works as before: at the cascade's fast
 * stage a uniform answer is below its threshold and escalates; at the last stage it is below the
 * unknown threshold and is answered "unknown".
 *
 * Nodes (opset 13-17). Shared covariance, with W = L^-T and whitened means mu_c = m_c W, so that
 * |L^-1 (e - m_c)|^2 = |z|^2 - 2 z . mu_c + |mu_c|^2 for z = e W (one d x d product):
 *   z = MatMul(e, W); cross = Gemm(z, M^T, |mu|^2, alpha = -2); d2 = cross + ReduceSumSquare(z).
 * Per-class covariances, with W = [L_1^-T ... L_K^-T] (d x Kd) and mu = [m_1 L_1^-T ... m_K L_K^-T]:
 *   d2 = ReduceSumSquare(Reshape(MatMul(e, W) - mu, [-1, K, d]), axis 2).
 * Then nearest = ReduceMin(d2); inside = LessOrEqual(nearest, maxDistance^2); out = Where(inside, probs, 1/K).
 * Every node and weight is named with OOD_GATE_PREFIX, so the embedding extraction (monitoring) can
 * tell the classifier's head from the gate.
 */
import { attr, type AttributeValue } from './graph-builder.js';
import { decodeOnnxModel, encodeOnnxModel, OnnxAttributeType, OnnxDataType, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './onnx-proto.js';

export const OOD_GATE_PREFIX = 'ood_gate/';

export interface DistanceGateSpec {
  /** Row-major d x d lower-triangular Cholesky factors: one (a shared covariance) or one per class. */
  factors: readonly Float64Array[];
  /** One mean per class (d values each), in the order of the classifier's outputs. */
  means: readonly Float64Array[];
  /** Largest Mahalanobis distance (not squared) still answered with the classifier's probabilities. */
  maxDistance: number;
  /** Graph value holding the embedding [batch, d]. */
  embedding: string;
}

/** L^-1 of a lower-triangular L (row-major d x d), by forward substitution column by column. */
export function invertLowerTriangular(l: Float64Array, d: number): Float64Array {
  const inv = new Float64Array(d * d);
  for (let c = 0; c < d; c++) {
    for (let i = c; i < d; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= l[i * d + k] * inv[k * d + c];
      inv[i * d + c] = s / l[i * d + i];
    }
  }
  return inv;
}

function floatTensor(name: string, data: Float32Array, dims: number[]): OnnxTensor {
  return { name, dims, dataType: OnnxDataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() };
}

function int64Tensor(name: string, values: number[]): OnnxTensor {
  return { name, dims: [values.length], dataType: OnnxDataType.INT64, rawData: new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer) };
}

/** (L^-1 m) for a lower-triangular L^-1 (row-major d x d). */
function whiten(inv: Float64Array, m: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k <= j; k++) s += inv[j * d + k] * m[k];
    out[j] = s;
  }
  return out;
}

function attribute(name: string, a: AttributeValue): OnnxAttribute {
  if (a.kind === 'float') return { name, type: OnnxAttributeType.FLOAT, f: a.value };
  if (a.kind === 'int') return { name, type: OnnxAttributeType.INT, i: a.value };
  if (a.kind === 'ints') return { name, type: OnnxAttributeType.INTS, ints: a.value };
  throw new Error(`distance gate: attribute kind ${a.kind} is not used here`);
}

/** The graph with the gate appended (see the file comment); the graph's single output keeps its name. */
export function appendDistanceGate(onnx: Uint8Array, spec: DistanceGateSpec): Uint8Array {
  const model = decodeOnnxModel(onnx);
  const graph = model.graph;
  if (graph.output.length !== 1) throw new Error(`distance gate: the graph has ${graph.output.length} outputs, expected 1 (class probabilities)`);
  if (graph.node.some((n) => n.name.startsWith(OOD_GATE_PREFIX))) throw new Error('distance gate: the graph already has a gate');
  const opset = model.opsetImport.find((o) => !o.domain)?.version ?? 0;
  if (opset < 13 || opset >= 18) throw new Error(`distance gate: opset ${opset} is not supported (13-17: reduce axes as attributes)`);
  const classes = spec.means.length;
  const d = spec.means[0]?.length ?? 0;
  if (classes < 2 || d < 1) throw new Error(`distance gate: needs at least 2 class means of at least 1 value, got ${classes} of ${d}`);
  if (spec.factors.length !== 1 && spec.factors.length !== classes) throw new Error(`distance gate: ${spec.factors.length} factors for ${classes} classes (give 1, shared, or one per class)`);
  if (spec.factors.some((f) => f.length !== d * d)) throw new Error(`distance gate: a factor is not ${d} x ${d}`);
  if (!(spec.maxDistance > 0 && Number.isFinite(spec.maxDistance))) throw new Error(`distance gate: maxDistance must be a positive number, got ${spec.maxDistance}`);
  if (!graph.node.some((n) => n.output.includes(spec.embedding))) throw new Error(`distance gate: no node outputs the embedding '${spec.embedding}'`);
  const outName = graph.output[0].name;
  const producer = graph.node.find((n) => n.output.includes(outName));
  if (!producer) throw new Error(`distance gate: no node outputs '${outName}'`);
  const outDims = graph.output[0].type.tensorType.shape.dim;
  const lastDim = outDims.at(-1)?.dimValue;
  if (outDims.length !== 2 || (lastDim != null && Number(lastDim) !== classes)) throw new Error(`distance gate: output '${outName}' is not [batch, ${classes}]`);

  const p = OOD_GATE_PREFIX;
  const probs = `${p}probs`;
  producer.output = producer.output.map((o) => (o === outName ? probs : o));
  const node = (opType: string, input: string[], output: string, attrs: Record<string, AttributeValue> = {}): OnnxNode => ({
    input,
    output: [output],
    name: `${p}${output.slice(p.length)}_${opType}`,
    opType,
    attribute: Object.entries(attrs).map(([n, a]) => attribute(n, a)),
  });
  const inverses = spec.factors.map((f) => invertLowerTriangular(f, d));
  const shared = inverses.length === 1;
  // W: the inverses transposed side by side (d x (1 or K) d), so z = e W holds L_c^-1 e.
  const w = new Float32Array(d * d * inverses.length);
  const width = d * inverses.length;
  inverses.forEach((inv, c) => {
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) w[i * width + c * d + j] = inv[j * d + i];
  });
  spec.means.forEach((m, c) => {
    if (m.length !== d) throw new Error(`distance gate: class mean ${c} has ${m.length} values, expected ${d}`);
  });
  graph.initializer.push(
    floatTensor(`${p}whiten`, w, [d, width]),
    floatTensor(`${p}max_distance2`, new Float32Array([spec.maxDistance * spec.maxDistance]), []),
    floatTensor(`${p}uniform`, new Float32Array(classes).fill(1 / classes), [classes]),
  );
  graph.node.push(node('MatMul', [spec.embedding, `${p}whiten`], `${p}z`));
  if (shared) {
    // Whitened means as M^T (d x K) and their squared norms.
    const meansT = new Float32Array(d * classes);
    const norms = new Float32Array(classes);
    spec.means.forEach((m, c) => {
      const mu = whiten(inverses[0], m, d);
      let n2 = 0;
      mu.forEach((x, j) => {
        meansT[j * classes + c] = x;
        n2 += x * x;
      });
      norms[c] = n2;
    });
    graph.initializer.push(floatTensor(`${p}whitened_means_t`, meansT, [d, classes]), floatTensor(`${p}whitened_means_norm2`, norms, [classes]));
    graph.node.push(
      node('Gemm', [`${p}z`, `${p}whitened_means_t`, `${p}whitened_means_norm2`], `${p}cross`, { alpha: attr.f(-2), beta: attr.f(1) }),
      node('ReduceSumSquare', [`${p}z`], `${p}z_norm2`, { axes: attr.ints([1]), keepdims: attr.i(1) }),
      node('Add', [`${p}cross`, `${p}z_norm2`], `${p}distance2`),
    );
  } else {
    const mu = new Float32Array(width);
    spec.means.forEach((m, c) => mu.set(whiten(inverses[c], m, d), c * d));
    graph.initializer.push(floatTensor(`${p}whitened_means`, mu, [width]), int64Tensor(`${p}per_class_shape`, [-1, classes, d]));
    graph.node.push(
      node('Sub', [`${p}z`, `${p}whitened_means`], `${p}diff`),
      node('Reshape', [`${p}diff`, `${p}per_class_shape`], `${p}diff_per_class`),
      node('ReduceSumSquare', [`${p}diff_per_class`], `${p}distance2`, { axes: attr.ints([2]), keepdims: attr.i(0) }),
    );
  }
  graph.node.push(
    node('ReduceMin', [`${p}distance2`], `${p}nearest2`, { axes: attr.ints([1]), keepdims: attr.i(1) }),
    node('LessOrEqual', [`${p}nearest2`, `${p}max_distance2`], `${p}inside`),
    { ...node('Where', [`${p}inside`, probs, `${p}uniform`], `${p}out`), output: [outName] },
  );
  return encodeOnnxModel(model);
}

/** Whether a node belongs to an appended gate. */
export function isGateNode(node: { name: string }): boolean {
  return node.name.startsWith(OOD_GATE_PREFIX);
}
