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
 * With the whitening W_c = L_c^-T, |L_c^-1 (e - m_c)|^2 = |e W_c - mu_c|^2 for mu_c = m_c W_c. W_c is
 * stored in float16 (gateWhitening; the distance the graph computes is gateDistance's, under the
 * rounded W_c, about 1e-4 relative from the exact one) and, being upper-triangular, in two blocks: its
 * first d/2 columns only read the first d/2 values of e. That keeps a per-class gate at 1.2 MB a graph
 * (3.1 MB as a dense float32 matrix). Nodes (opset 13-17; ReduceSumSquare/ReduceMin take axes as
 * attributes), with W_a / W_b the two column blocks of every W_c side by side:
 *   z = Concat(Reshape(Slice(e, 0:d/2) Cast(W_a), [-1, K', d/2]), Reshape(e Cast(W_b), [-1, K', d - d/2]))
 *   d2 = ReduceSumSquare(z - mu, axis 2)      (K' = 1 for a shared covariance: broadcast to the K means)
 *   inside = LessOrEqual(ReduceMin(d2), maxDistance^2); out = Where(inside, probs, 1/K).
 * onnxruntime folds the Casts of the constant weights once, at load. Every node and weight is named with
 * OOD_GATE_PREFIX, so the embedding extraction (monitoring) can tell the classifier's head from the gate.
 */
import { attr, type AttributeValue } from './graph-builder.js';
import { decodeOnnxModel, encodeOnnxModel, OnnxAttributeType, OnnxDataType, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './onnx-proto.js';

export const OOD_GATE_PREFIX = 'ood_gate/';

export interface DistanceGateSpec {
  /** The whitening matrices of gateWhitening: one (a shared covariance) or one per class. */
  whitening: readonly Float32Array[];
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

/** The float16 bit pattern nearest to x (round to nearest even; overflow to infinity). */
export function float16Bits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++;
  return sign | r;
}

/** The value of a float16 bit pattern. */
export function float16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * The whitening W = L^-T of each Cholesky factor (row-major d x d, upper-triangular), every value
 * rounded to float16 as the graph stores it.
 */
export function gateWhitening(factors: readonly Float64Array[], d: number): Float32Array[] {
  return factors.map((f) => {
    if (f.length !== d * d) throw new Error(`distance gate: a factor is not ${d} x ${d}`);
    const inv = invertLowerTriangular(f, d);
    const w = new Float32Array(d * d);
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) w[i * d + j] = float16Value(float16Bits(inv[j * d + i]));
    return w;
  });
}

/** (m W) for an upper-triangular W (row-major d x d). */
function whitenRow(w: Float32Array, m: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const mi = m[i];
    if (mi === 0) continue;
    for (let j = i; j < d; j++) out[j] += mi * w[i * d + j];
  }
  return out;
}

/** The distance the gate computes for e: min over classes of |(e - m_c) W_c| (W shared when there is one). */
export function gateDistance(whitening: readonly Float32Array[], means: readonly Float64Array[], e: ArrayLike<number>): number {
  const d = means[0].length;
  let best = Infinity;
  means.forEach((m, c) => {
    const diff = Float64Array.from({ length: d }, (_, j) => e[j] - m[j]);
    const z = whitenRow(whitening[whitening.length === 1 ? 0 : c], diff, d);
    best = Math.min(best, z.reduce((a, x) => a + x * x, 0));
  });
  return Math.sqrt(best);
}

function float16Tensor(name: string, values: Float32Array, dims: number[]): OnnxTensor {
  const bits = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) bits[i] = float16Bits(values[i]);
  return { name, dims, dataType: OnnxDataType.FLOAT16, rawData: new Uint8Array(bits.buffer) };
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
  if (spec.whitening.length !== 1 && spec.whitening.length !== classes) throw new Error(`distance gate: ${spec.whitening.length} whitening matrices for ${classes} classes (give 1, shared, or one per class)`);
  if (spec.whitening.some((w) => w.length !== d * d)) throw new Error(`distance gate: a whitening matrix is not ${d} x ${d}`);
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
  const k = spec.whitening.length;
  const h = Math.ceil(d / 2);
  // W_a: rows 0..h-1, columns 0..h-1 of every W_c; W_b: all rows, columns h..d-1 (the rest of W_a's columns are zero).
  const wa = new Float32Array(h * k * h);
  const wb = new Float32Array(d * k * (d - h));
  spec.whitening.forEach((w, c) => {
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        if (j < h) {
          if (i < h) wa[i * k * h + c * h + j] = w[i * d + j];
        } else wb[i * k * (d - h) + c * (d - h) + (j - h)] = w[i * d + j];
      }
  });
  spec.means.forEach((m, c) => {
    if (m.length !== d) throw new Error(`distance gate: class mean ${c} has ${m.length} values, expected ${d}`);
  });
  const mu = new Float32Array(classes * d);
  spec.means.forEach((m, c) => mu.set(whitenRow(spec.whitening[k === 1 ? 0 : c], m, d), c * d));
  graph.initializer.push(
    float16Tensor(`${p}whiten_a`, wa, [h, k * h]),
    float16Tensor(`${p}whiten_b`, wb, [d, k * (d - h)]),
    floatTensor(`${p}whitened_means`, mu, [classes, d]),
    int64Tensor(`${p}slice_start`, [0]),
    int64Tensor(`${p}slice_end`, [h]),
    int64Tensor(`${p}slice_axis`, [1]),
    int64Tensor(`${p}shape_a`, [-1, k, h]),
    int64Tensor(`${p}shape_b`, [-1, k, d - h]),
    floatTensor(`${p}max_distance2`, new Float32Array([spec.maxDistance * spec.maxDistance]), []),
    floatTensor(`${p}uniform`, new Float32Array(classes).fill(1 / classes), [classes]),
  );
  graph.node.push(
    node('Slice', [spec.embedding, `${p}slice_start`, `${p}slice_end`, `${p}slice_axis`], `${p}e_a`),
    node('Cast', [`${p}whiten_a`], `${p}whiten_a_f32`, { to: attr.i(OnnxDataType.FLOAT) }),
    node('MatMul', [`${p}e_a`, `${p}whiten_a_f32`], `${p}z_a`),
    node('Reshape', [`${p}z_a`, `${p}shape_a`], `${p}z_a_per_class`),
    node('Cast', [`${p}whiten_b`], `${p}whiten_b_f32`, { to: attr.i(OnnxDataType.FLOAT) }),
    node('MatMul', [spec.embedding, `${p}whiten_b_f32`], `${p}z_b`),
    node('Reshape', [`${p}z_b`, `${p}shape_b`], `${p}z_b_per_class`),
    node('Concat', [`${p}z_a_per_class`, `${p}z_b_per_class`], `${p}z`, { axis: attr.i(2) }),
    node('Sub', [`${p}z`, `${p}whitened_means`], `${p}diff`),
    node('ReduceSumSquare', [`${p}diff`], `${p}distance2`, { axes: attr.ints([2]), keepdims: attr.i(0) }),
  );
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
