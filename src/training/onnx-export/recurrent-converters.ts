/**
 * LSTM, GRU, SimpleRNN and Bidirectional as the ONNX LSTM/GRU/RNN operators.
 *
 * Gate order: tfjs LSTM kernels hold blocks (i, f, c, o), ONNX LSTM wants (i, o, f, c); tfjs GRU
 * and ONNX GRU both use (z, r, h). tfjs kernels are [input, gates*units] (x @ W), ONNX weights
 * are [dirs, gates*units, input] (W @ x). tfjs GRU only implements reset_after=false (it rejects
 * resetAfter: true), which is ONNX linear_before_reset=0. The whole tfjs bias goes into ONNX Wb;
 * Rb is zero.
 */
import type * as tf from '@tensorflow/tfjs';
import { recurrentActivation } from './activations.js';
import { attr, type AttributeValue, type GraphValue } from '../../inference/onnx/graph-builder.js';
import type { LayerCall, LayerConverter } from './layer-converters.js';
import { layerWeights, requireWeight, type WeightArray } from './weights.js';

type RnnKind = 'LSTM' | 'GRU' | 'SimpleRNN';

const SPEC: Record<RnnKind, { op: string; gates: number; tfBlockForOnnxGate: number[] }> = {
  LSTM: { op: 'LSTM', gates: 4, tfBlockForOnnxGate: [0, 3, 1, 2] },
  GRU: { op: 'GRU', gates: 3, tfBlockForOnnxGate: [0, 1, 2] },
  SimpleRNN: { op: 'RNN', gates: 1, tfBlockForOnnxGate: [0] },
};

/** tfjs [in, gates*units] -> ONNX [gates*units, in] with gate blocks reordered. */
function onnxGateMatrix(k: WeightArray, units: number, order: number[]): Float32Array {
  const [inDim, cols] = k.shape as [number, number];
  const out = new Float32Array(inDim * cols);
  order.forEach((tfBlock, gate) => {
    for (let u = 0; u < units; u++) {
      const row = gate * units + u;
      const col = tfBlock * units + u;
      for (let i = 0; i < inDim; i++) out[row * inDim + i] = k.data[i * cols + col] as number;
    }
  });
  return out;
}

function onnxBias(b: WeightArray | undefined, units: number, order: number[]): Float32Array {
  const out = new Float32Array(2 * order.length * units); // Wb then Rb (zeros)
  if (!b) return out;
  order.forEach((tfBlock, gate) => {
    for (let u = 0; u < units; u++) out[gate * units + u] = b.data[tfBlock * units + u] as number;
  });
  return out;
}

interface DirectionWeights {
  W: Float32Array;
  R: Float32Array;
  B: Float32Array;
}

function readCell(layer: tf.layers.Layer, kind: RnnKind): { cfg: Record<string, unknown>; weights: DirectionWeights; units: number; inDim: number } {
  const cfg = layer.getConfig() as Record<string, unknown>;
  if (cfg.stateful === true) throw new Error(`ONNX export: '${layer.name}': stateful ${kind} is not supported`);
  if (cfg.returnState === true) throw new Error(`ONNX export: '${layer.name}': returnState is not supported`);
  if (kind === 'GRU' && cfg.resetAfter === true) {
    throw new Error(`ONNX export: '${layer.name}': GRU resetAfter=true is not supported`);
  }
  const units = cfg.units as number;
  const order = SPEC[kind].tfBlockForOnnxGate;
  const w = layerWeights(layer);
  const kernel = requireWeight(w, 'kernel', layer.name);
  const rec = requireWeight(w, 'recurrent_kernel', layer.name);
  const bias = cfg.useBias === false ? undefined : w.get('bias');
  return {
    cfg,
    units,
    inDim: kernel.shape[0] as number,
    weights: {
      W: onnxGateMatrix(kernel, units, order),
      R: onnxGateMatrix(rec, units, order),
      B: onnxBias(bias, units, order),
    },
  };
}

function activationAttrs(kind: RnnKind, cfg: Record<string, unknown>, directions: number): Record<string, AttributeValue> {
  const act = cfg.activation as string | undefined;
  const rec = cfg.recurrentActivation as string | undefined;
  const names = kind === 'LSTM' ? [rec, act, act] : kind === 'GRU' ? [rec, act] : [act];
  const acts = names.map((n) => recurrentActivation(n));
  const all = Array.from({ length: directions }, () => acts).flat();
  const out: Record<string, AttributeValue> = { activations: attr.strings(all.map((a) => a.op)) };
  const alphas = all.filter((a) => a.alpha !== undefined).map((a) => a.alpha as number);
  const betas = all.filter((a) => a.beta !== undefined).map((a) => a.beta as number);
  if (alphas.length) out.activation_alpha = attr.floats(alphas);
  if (betas.length) out.activation_beta = attr.floats(betas);
  return out;
}

function concatDirections(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

/**
 * Emit the ONNX recurrent node for one or two directions and shape its result like tfjs:
 * [N, T, D*U] / [N, D*U] for concat, reduced over directions for the other merge modes.
 */
function emitRecurrent(
  call: LayerCall,
  kind: RnnKind,
  cells: Array<ReturnType<typeof readCell>>,
  direction: 'forward' | 'reverse' | 'bidirectional',
  returnSequences: boolean,
  merge: MergeMode,
  reverseOutputTime: boolean,
): GraphValue {
  const g = call.g;
  const x = call.inputs[0];
  if (!x || x.rank !== 3) throw new Error(`ONNX export: '${call.layer.name}' needs one rank-3 input [batch, time, features]`);
  const first = cells[0] as ReturnType<typeof readCell>;
  const { units, inDim, cfg } = first;
  const spec = SPEC[kind];
  const dirs = cells.length;
  const timeMajor = g.node1('Transpose', [x.name], `${call.base}_tnf`, { perm: attr.ints(g.permFor(x, [1, 0, 2])) });
  const inputs = [
    timeMajor,
    g.floatConst(`${call.base}_W`, concatDirections(cells.map((c) => c.weights.W)), [dirs, spec.gates * units, inDim]),
    g.floatConst(`${call.base}_R`, concatDirections(cells.map((c) => c.weights.R)), [dirs, spec.gates * units, units]),
    g.floatConst(`${call.base}_B`, concatDirections(cells.map((c) => c.weights.B)), [dirs, 2 * spec.gates * units]),
  ];
  const attrs: Record<string, AttributeValue> = {
    hidden_size: attr.i(units),
    direction: attr.s(direction),
    ...activationAttrs(kind, cfg, dirs),
  };
  if (kind === 'GRU') attrs.linear_before_reset = attr.i(0);
  const [y, yh] = g.node(spec.op, inputs, `${call.base}_${spec.op.toLowerCase()}`, attrs, 2) as [string, string];

  const reduceOp = merge === 'sum' ? 'ReduceSum' : merge === 'mul' ? 'ReduceProd' : merge === 'ave' ? 'ReduceMean' : null;
  // Opset 13: ReduceSum takes axes as an input, ReduceProd/ReduceMean as an attribute.
  const reduceDirs = (input: string, axis: number, base: string): string =>
    reduceOp === 'ReduceSum'
      ? g.node1('ReduceSum', [input, g.int64Const(`${base}_axes`, [axis])], base, { keepdims: attr.i(0) })
      : g.node1(reduceOp as string, [input], base, { axes: attr.ints([axis]), keepdims: attr.i(0) });
  if (returnSequences) {
    // Y: [T, D, N, U] -> [N, T, D, U]
    const ntdu = g.node1('Transpose', [y], `${call.base}_ntdu`, { perm: attr.ints([2, 0, 1, 3]) });
    let seq =
      reduceOp && dirs === 2
        ? reduceDirs(ntdu, 2, `${call.base}_merge`)
        : g.node1('Reshape', [ntdu, g.int64Const(`${call.base}_seqshape`, [0, 0, -1])], `${call.base}_seq`);
    if (reverseOutputTime) {
      seq = g.node1(
        'Slice',
        [
          seq,
          g.int64Const(`${call.base}_rs_start`, [-1]),
          g.int64Const(`${call.base}_rs_end`, [Number.MIN_SAFE_INTEGER]),
          g.int64Const(`${call.base}_rs_axes`, [1]),
          g.int64Const(`${call.base}_rs_steps`, [-1]),
        ],
        `${call.base}_reversed`,
      );
    }
    return { name: g.node1('Identity', [seq], call.base), rank: 3, layout: 'last' };
  }
  // Y_h: [D, N, U] -> [N, D, U]
  const ndu = g.node1('Transpose', [yh], `${call.base}_ndu`, { perm: attr.ints([1, 0, 2]) });
  const last =
    reduceOp && dirs === 2
      ? reduceDirs(ndu, 1, call.base)
      : g.node1('Reshape', [ndu, g.int64Const(`${call.base}_lastshape`, [0, -1])], call.base);
  return { name: last, rank: 2, layout: 'last' };
}

function recurrent(kind: RnnKind): LayerConverter {
  return (call) => {
    const cell = readCell(call.layer, kind);
    const goBackwards = cell.cfg.goBackwards === true;
    const returnSequences = cell.cfg.returnSequences === true;
    // tfjs go_backwards emits outputs in reversed time order; ONNX 'reverse' keeps input order.
    return [emitRecurrent(call, kind, [cell], goBackwards ? 'reverse' : 'forward', returnSequences, 'concat', goBackwards && returnSequences)];
  };
}

const bidirectional: LayerConverter = (call) => {
  const layer = call.layer as unknown as { forwardLayer?: tf.layers.Layer; backwardLayer?: tf.layers.Layer };
  const fwd = layer.forwardLayer;
  const bwd = layer.backwardLayer;
  if (!fwd || !bwd) throw new Error(`ONNX export: '${call.layer.name}': Bidirectional without forward/backward layers`);
  const kind = fwd.getClassName();
  if (kind !== 'LSTM' && kind !== 'GRU' && kind !== 'SimpleRNN') {
    throw new Error(`ONNX export: '${call.layer.name}': Bidirectional(${kind}) is not supported`);
  }
  const mergeMode = (call.config.mergeMode ?? 'concat') as string;
  if (!['concat', 'sum', 'mul', 'ave'].includes(mergeMode)) {
    throw new Error(`ONNX export: '${call.layer.name}': Bidirectional mergeMode '${mergeMode}' is not supported`);
  }
  const f = readCell(fwd, kind);
  const b = readCell(bwd, kind);
  if (f.cfg.goBackwards === true) throw new Error(`ONNX export: '${call.layer.name}': Bidirectional over a goBackwards layer is not supported`);
  return [emitRecurrent(call, kind, [f, b], 'bidirectional', f.cfg.returnSequences === true, mergeMode as MergeMode, false)];
};

export const RECURRENT_CONVERTERS: Record<string, LayerConverter> = {
  LSTM: recurrent('LSTM'),
  GRU: recurrent('GRU'),
  SimpleRNN: recurrent('SimpleRNN'),
  Bidirectional: bidirectional,
};
