/**
 * Serving-graph rewrite: 1-D convolution chains as one GEMM per convolution, channels-last.
 *
 * The exporter writes tfjs Conv1D as ONNX Conv on channels-first [N, C, T] values, which is the
 * portable form. onnxruntime's CPU Conv runs 1-D convolutions as im2col + GEMM *per batch item*
 * (one small [Cout x T] GEMM for each window), and each pooling / batch-norm is its own kernel, so
 * a batch of 32 speech windows costs almost 32 windows' worth of small-matrix work. This rewrite
 * turns each chain
 *
 *   [Transpose NWC->NCW] -> AveragePool | Conv (+ BatchNormalization) (+ Relu) | MaxPool ... ->
 *   GlobalAveragePool / GlobalMaxPool + Flatten | Transpose (to NWC, or to [T, N, C] for an LSTM)
 *
 * into channels-last values [N, T, C] where a convolution is Pad -> Gather (im2col over time,
 * [N, T, k, C]) -> Reshape [N*T, k*C] -> Gemm with the batch-norm folded into its weights and bias
 * (-> Relu, which onnxruntime fuses into the Gemm). The whole batch becomes one GEMM with N*T rows.
 * Average pooling by 2 becomes a Split + Add whose 1/2 is folded into the next convolution's weights.
 *
 * Only what is recognised exactly is rewritten (stride 1, dilation 1, group 1, static time length,
 * opset 13-17); anything else keeps the original nodes. The rewrite is checked numerically against
 * the original graph when a session loads it (see onnx-session.ts), so a mistake here can only
 * cost speed, never a wrong answer.
 */
import { attr, GraphBuilder } from './graph-builder.js';
import { OnnxAttributeType, OnnxDataType, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-proto.js';
import { pruneGraph } from './prune.js';

export interface RewriteResult {
  model: OnnxModel;
  /** Conv nodes now computed as GEMMs. */
  convs: number;
}

/** A channels-first [N, C, T] value of the original graph, as a channels-last [N, T, C] value. */
interface LastForm {
  /** [N, T, C] value holding (original value) / scale. */
  name: string;
  channels: number;
  length: number;
  /** Positive factor still to apply (from average pooling folded forward). */
  scale: number;
  /** The same value as [N*T, C] (the Gemm output) when there is one: Relu runs there so it fuses. */
  flat?: string;
  /** Convolutions in the chain that produced it. */
  convs: number;
}

class NotRewritable extends Error {}

function attribute(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

function intsAttr(node: OnnxNode, name: string): number[] | undefined {
  const a = attribute(node, name);
  return a?.ints?.map(Number);
}

function intAttr(node: OnnxNode, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a?.i == null ? fallback : Number(a.i);
}

function stringAttr(node: OnnxNode, name: string): string | undefined {
  const a = attribute(node, name);
  return a?.s == null ? undefined : Buffer.from(a.s).toString('utf8');
}

function floatData(t: OnnxTensor): Float32Array {
  if (t.dataType !== OnnxDataType.FLOAT) throw new NotRewritable(`initializer ${t.name} is not float32`);
  const raw = t.rawData;
  if (raw != null && raw.length > 0) {
    const bytes = Uint8Array.from(raw);
    return new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
  }
  const floats = (t as unknown as { floatData?: number[] }).floatData;
  if (floats != null) return Float32Array.from(floats);
  throw new NotRewritable(`initializer ${t.name} has no data`);
}

function check(cond: boolean, why: string): asserts cond {
  if (!cond) throw new NotRewritable(why);
}

/** Rewrite every recognised 1-D convolution chain of `model` (a new model; the input is not changed). */
export function rewriteConv1dAsGemm(model: OnnxModel): RewriteResult {
  const opset = model.opsetImport.find((o) => (o.domain ?? '') === '')?.version ?? 0;
  if (opset < 13 || opset > 17) return { model, convs: 0 };
  const graph = model.graph;
  // Subgraphs (If, Loop) read outer values the pruning below cannot see: leave such models alone.
  if (graph.node.some((n) => (n.attribute ?? []).some((a) => a.g != null || (a.graphs?.length ?? 0) > 0))) return { model, convs: 0 };
  const producer = new Map<string, OnnxNode>();
  const consumers = new Map<string, number>();
  for (const n of graph.node) {
    for (const o of n.output) producer.set(o, n);
    for (const i of n.input) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  }
  const initializers = new Map(graph.initializer.map((t) => [t.name, t]));
  const inputShapes = new Map(
    graph.input.map((v) => [v.name, v.type.tensorType.shape.dim.map((d) => (d.dimValue == null ? null : Number(d.dimValue)))]),
  );
  const g = new GraphBuilder();
  const names = new Set<string>();
  for (const n of graph.node) for (const v of [...n.input, ...n.output, n.name]) if (v) names.add(v);
  for (const v of [...graph.input, ...graph.output, ...graph.initializer]) names.add(v.name);
  for (const v of names) g.reserve(v);

  const constant = (name: string | undefined): Float32Array => {
    const t = name == null ? undefined : initializers.get(name);
    check(t != null, `'${name}' is not a constant`);
    return floatData(t);
  };
  const forms = new Map<string, LastForm>();
  let convs = 0;

  const scaled = (f: LastForm, base: string): string =>
    f.scale === 1 ? f.name : g.node1('Mul', [f.name, g.floatConst(`${base}_scale`, new Float32Array([f.scale]), [])], base);

  /** Pooling by `k` (stride k, no padding) along time of a channels-last value, as [N, T', k, C] or [N, T', k*C]. */
  const poolWindows = (f: LastForm, node: OnnxNode, flatPairs: boolean): { name: string; length: number; k: number } => {
    const kernel = intsAttr(node, 'kernel_shape');
    check(kernel?.length === 1, `${node.name}: not a 1-D pool`);
    const k = kernel[0] as number;
    const strides = intsAttr(node, 'strides') ?? [1];
    const pads = intsAttr(node, 'pads') ?? [0, 0];
    const autoPad = stringAttr(node, 'auto_pad') ?? 'NOTSET';
    check(strides[0] === k && pads.every((p) => p === 0) && (autoPad === 'NOTSET' || autoPad === 'VALID'), `${node.name}: pool is not tiled`);
    check(intAttr(node, 'ceil_mode', 0) === 0 && node.output.length === 1, `${node.name}: ceil mode or indices`);
    const dil = intsAttr(node, 'dilations');
    check(dil == null || dil.every((d) => d === 1), `${node.name}: dilated pool`);
    const length = Math.floor((f.length - k) / k) + 1;
    check(length >= 1, `${node.name}: window longer than the input`);
    // A Gemm output [N*T, C] reshapes straight into windows when no trim is needed (one Reshape, not two).
    let x = f.flat != null && length * k === f.length ? f.flat : f.name;
    if (length * k !== f.length) {
      x = g.node1('Slice', [x, g.int64Const('s1d_start', [0]), g.int64Const('s1d_end', [length * k]), g.int64Const('s1d_axis', [1])], `${node.name}_trim`);
    }
    const shape = flatPairs ? [-1, length, k * f.channels] : [-1, length, k, f.channels];
    return { name: g.node1('Reshape', [x, g.int64Const(`${node.name}_shape`, shape)], `${node.name}_windows`), length, k };
  };

  const convForm = (conv: OnnxNode, bn: { a: Float32Array; b: Float32Array } | null): LastForm => {
    check(conv.input.length >= 2, `${conv.name}: no weight`);
    const wTensor = initializers.get(conv.input[1] as string);
    check(wTensor != null && wTensor.dims.length === 3, `${conv.name}: weight is not a constant [O, C, k]`);
    const [outC, inC, k] = wTensor.dims.map(Number) as [number, number, number];
    check(intAttr(conv, 'group', 1) === 1, `${conv.name}: grouped`);
    check((intsAttr(conv, 'strides') ?? [1]).every((s) => s === 1), `${conv.name}: strided`);
    check((intsAttr(conv, 'dilations') ?? [1]).every((d) => d === 1), `${conv.name}: dilated`);
    const autoPad = stringAttr(conv, 'auto_pad') ?? 'NOTSET';
    let pads = intsAttr(conv, 'pads') ?? [0, 0];
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const total = k - 1;
      const small = Math.floor(total / 2);
      pads = autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    } else check(autoPad === 'NOTSET' || autoPad === 'VALID', `${conv.name}: auto_pad ${autoPad}`);
    if (autoPad === 'VALID') pads = [0, 0];
    const f = formOf(conv.input[0] as string);
    check(f.channels === inC, `${conv.name}: ${f.channels} input channels, weight wants ${inC}`);
    const [padBegin, padEnd] = pads as [number, number];
    const length = f.length + padBegin + padEnd - k + 1;
    check(length >= 1, `${conv.name}: kernel longer than the padded input`);
    const w = constant(conv.input[1]);
    const bias = conv.input[2] ? constant(conv.input[2]) : null;
    const weight = new Float32Array(k * inC * outC);
    const shift = new Float32Array(outC);
    for (let o = 0; o < outC; o++) {
      const a = bn ? (bn.a[o] as number) : 1;
      shift[o] = (bias ? (bias[o] as number) : 0) * a + (bn ? (bn.b[o] as number) : 0);
      for (let j = 0; j < k; j++) {
        for (let c = 0; c < inC; c++) weight[(j * inC + c) * outC + o] = (w[(o * inC + c) * k + j] as number) * a * f.scale;
      }
    }
    const base = conv.name || conv.output[0] || 'conv';
    let x = f.name;
    if (padBegin > 0 || padEnd > 0) {
      x = g.node1('Pad', [x, g.int64Const(`${base}_pads`, [0, padBegin, 0, 0, padEnd, 0])], `${base}_padded`, { mode: attr.s('constant') });
    }
    if (k > 1) {
      const index: number[] = [];
      for (let t = 0; t < length; t++) for (let j = 0; j < k; j++) index.push(t + j);
      x = g.node1('Gather', [x, g.int64Const(`${base}_im2col`, index, [length, k])], `${base}_columns`, { axis: attr.i(1) });
    }
    const rows = g.node1('Reshape', [x, g.int64Const(`${base}_rows_shape`, [-1, k * inC])], `${base}_rows`);
    const flat = g.node1(
      'Gemm',
      [rows, g.floatConst(`${base}_gemm_W`, weight, [k * inC, outC]), g.floatConst(`${base}_gemm_B`, shift, [outC])],
      `${base}_gemm`,
    );
    const name = g.node1('Reshape', [flat, g.int64Const(`${base}_nwc_shape`, [-1, length, outC])], `${base}_nwc`);
    convs++;
    return { name, channels: outC, length, scale: 1, flat, convs: f.convs + 1 };
  };

  function formOf(value: string): LastForm {
    const known = forms.get(value);
    if (known) return known;
    const node = producer.get(value);
    check(node != null, `'${value}' has no producing node`);
    let form: LastForm;
    switch (node.opType) {
      case 'Transpose': {
        const perm = intsAttr(node, 'perm');
        check(perm?.join() === '0,2,1', `${node.name}: not NWC -> NCW`);
        const src = node.input[0] as string;
        const shape = inputShapes.get(src);
        check(shape != null && shape.length === 3 && shape[1] != null && shape[2] != null, `${node.name}: input length unknown`);
        form = { name: src, channels: shape[2] as number, length: shape[1] as number, scale: 1, convs: 0 };
        break;
      }
      case 'AveragePool': {
        const f = formOf(node.input[0] as string);
        const w = poolWindows(f, node, true);
        if (w.k === 2) {
          const halves = g.node('Split', [w.name], `${node.name}_halves`, { axis: attr.i(2) }, 2);
          const sum = g.node1('Add', halves, `${node.name}_sum`);
          form = { name: sum, channels: f.channels, length: w.length, scale: f.scale / 2, convs: f.convs };
        } else {
          const r = g.node1('Reshape', [w.name, g.int64Const(`${node.name}_split_shape`, [-1, w.length, w.k, f.channels])], `${node.name}_split`);
          const mean = g.node1('ReduceMean', [r], `${node.name}_nwc`, { axes: attr.ints([2]), keepdims: attr.i(0) });
          form = { name: mean, channels: f.channels, length: w.length, scale: f.scale, convs: f.convs };
        }
        break;
      }
      case 'MaxPool': {
        const f = formOf(node.input[0] as string);
        const w = poolWindows(f, node, false);
        const max = g.node1('ReduceMax', [w.name], `${node.name}_nwc`, { axes: attr.ints([2]), keepdims: attr.i(0) });
        form = { name: max, channels: f.channels, length: w.length, scale: f.scale, convs: f.convs };
        break;
      }
      case 'Relu': {
        const f = formOf(node.input[0] as string);
        if (f.flat) {
          const flat = g.node1('Relu', [f.flat], `${node.name}_rows`);
          const name = g.node1('Reshape', [flat, g.int64Const(`${node.name}_nwc_shape`, [-1, f.length, f.channels])], `${node.name}_nwc`);
          form = { ...f, name, flat };
        } else {
          form = { ...f, name: g.node1('Relu', [f.name], `${node.name}_nwc`), flat: undefined };
        }
        break;
      }
      case 'Conv':
        form = convForm(node, null);
        break;
      case 'BatchNormalization': {
        check(node.output.length === 1 && node.input.length === 5, `${node.name}: training-mode batch norm`);
        const [gamma, beta, mean, variance] = node.input.slice(1).map((n) => constant(n)) as [Float32Array, Float32Array, Float32Array, Float32Array];
        const epsilon = attribute(node, 'epsilon')?.f ?? 1e-5;
        const a = new Float32Array(gamma.length);
        const b = new Float32Array(gamma.length);
        for (let c = 0; c < a.length; c++) {
          a[c] = (gamma[c] as number) / Math.sqrt((variance[c] as number) + epsilon);
          b[c] = (beta[c] as number) - (mean[c] as number) * (a[c] as number);
        }
        const src = producer.get(node.input[0] as string);
        if (src?.opType === 'Conv' && consumers.get(node.input[0] as string) === 1) {
          form = convForm(src, { a, b });
        } else {
          const f = formOf(node.input[0] as string);
          check(f.channels === a.length, `${node.name}: channel count`);
          const sa = a.map((v) => v * f.scale);
          const mul = g.node1('Mul', [f.name, g.floatConst(`${node.name}_a`, sa, [a.length])], `${node.name}_scaled`);
          form = { name: g.node1('Add', [mul, g.floatConst(`${node.name}_b`, b, [b.length])], `${node.name}_nwc`), channels: f.channels, length: f.length, scale: 1, convs: f.convs };
        }
        break;
      }
      default:
        throw new NotRewritable(`${node.opType} '${node.name}' is not rewritten`);
    }
    forms.set(value, form);
    return form;
  }

  /** The replacement for a sink node (reads a channels-first value, writes a layout-free one), or null. */
  const replaceSink = (node: OnnxNode): OnnxNode | null => {
    if (node.opType === 'Flatten' && intAttr(node, 'axis', 1) === 1) {
      const pool = producer.get(node.input[0] as string);
      if (!pool || (pool.opType !== 'GlobalAveragePool' && pool.opType !== 'GlobalMaxPool')) return null;
      const f = formOf(pool.input[0] as string);
      if (f.convs === 0) return null;
      const op = pool.opType === 'GlobalAveragePool' ? 'ReduceMean' : 'ReduceMax';
      const reduce = { axes: attr.ints([1]), keepdims: attr.i(0) };
      if (f.scale === 1) return g.nodeDetached(op, [f.name], node.output, `${node.name}_nwc`, reduce);
      const reduced = g.node1(op, [f.name], `${node.name}_nwc`, reduce);
      return { input: [scaled({ ...f, name: reduced }, `${node.name}_unscale`)], output: node.output, name: node.name, opType: 'Identity', attribute: [] };
    }
    const perm = node.opType === 'Transpose' ? intsAttr(node, 'perm') : undefined;
    if (perm?.length === 3) {
      // A transpose out of the channels-first world (e.g. to NWC, or to [T, N, C] for an LSTM).
      const src = producer.get(node.input[0] as string);
      if (!src || src.opType === 'Transpose') return null;
      const f = formOf(node.input[0] as string);
      if (f.convs === 0) return null;
      const fromLast = perm.map((axis) => [0, 2, 1][axis] as number); // NCW axis -> axis of the [N, T, C] form
      const x = scaled(f, `${node.name}_unscale`);
      if (fromLast.join() === '0,1,2') return { input: [x], output: node.output, name: node.name, opType: 'Identity', attribute: [] };
      return { input: [x], output: node.output, name: node.name, opType: 'Transpose', attribute: [{ name: 'perm', type: OnnxAttributeType.INTS, ints: fromLast }] };
    }
    return null;
  };

  const nodes: OnnxNode[] = [];
  for (const node of graph.node) {
    const mark = g.nodes.length;
    const convsBefore = convs;
    const initsBefore = g.initializers.length;
    const formsBefore = new Set(forms.keys());
    let replacement: OnnxNode | null;
    try {
      replacement = replaceSink(node);
    } catch (err) {
      if (!(err instanceof NotRewritable)) throw err;
      replacement = null;
    }
    if (replacement == null) {
      // Drop what a failed attempt added, and the forms that point at it.
      convs = convsBefore;
      g.nodes.splice(mark);
      g.initializers.splice(initsBefore);
      for (const k of [...forms.keys()]) if (!formsBefore.has(k)) forms.delete(k);
      nodes.push(node);
      continue;
    }
    nodes.push(...g.nodes.slice(mark), replacement);
  }
  if (convs === 0) return { model, convs: 0 };
  const rewritten: OnnxModel = {
    ...model,
    graph: { ...graph, node: nodes, initializer: [...graph.initializer, ...g.initializers] },
  };
  return { model: pruneGraph(rewritten), convs };
}
