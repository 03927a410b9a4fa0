/**
 * One converter per tfjs layer class: each turns a layer call (its input values) into ONNX nodes
 * and returns the output values. Recurrent layers live in recurrent-converters.ts.
 */
import type * as tf from '@tensorflow/tfjs';
import { applyActivation } from './activations.js';
import { attr, onnxAxis, type AttributeValue, type GraphBuilder, type GraphValue, type Layout } from '../../inference/onnx/graph-builder.js';
import { layerWeights, requireWeight, transposeWeights, type WeightArray } from './weights.js';

export type Shape = Array<number | null>;

export interface LayerCall {
  g: GraphBuilder;
  layer: tf.layers.Layer;
  /** layer.getConfig() */
  config: Record<string, unknown>;
  inputs: GraphValue[];
  inputShapes: Shape[];
  outputShapes: Shape[];
  /** Base for node/value names (the layer name). */
  base: string;
}

export type LayerConverter = (call: LayerCall) => GraphValue[];

// ---------- small helpers ----------

function single(call: LayerCall): GraphValue {
  if (call.inputs.length !== 1) {
    throw new Error(`ONNX export: layer '${call.layer.name}' (${call.layer.getClassName()}) expects one input, got ${call.inputs.length}`);
  }
  return call.inputs[0] as GraphValue;
}

function tuple(v: unknown, n: number, what: string): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number')) return v as number[];
  if (Array.isArray(v) && v.length === 1 && n > 1 && typeof v[0] === 'number') return new Array<number>(n).fill(v[0]);
  throw new Error(`ONNX export: cannot read ${what} ${JSON.stringify(v)} as ${n} numbers`);
}

function requireChannelsLast(call: LayerCall): void {
  const df = call.config.dataFormat;
  if (df != null && df !== 'channelsLast') {
    throw new Error(`ONNX export: layer '${call.layer.name}' uses dataFormat '${String(df)}'; only channelsLast is supported`);
  }
}

function spatialDims(shape: Shape): Array<number | null> {
  return shape.slice(1, shape.length - 1);
}

/**
 * ONNX `pads` for a tfjs padding mode, or null to use auto_pad SAME_UPPER when the spatial size
 * is unknown. 'same' follows TensorFlow: total = max(0, (ceil(in/s)-1)*s + effK - in), extra at end.
 */
function convPads(
  padding: unknown,
  inSpatial: Array<number | null>,
  kernel: number[],
  strides: number[],
  dilations: number[],
  layerName: string,
): number[] | null {
  const n = kernel.length;
  if (padding === 'valid') return new Array<number>(2 * n).fill(0);
  if (padding !== 'same') throw new Error(`ONNX export: '${layerName}': padding '${String(padding)}' not supported`);
  if (inSpatial.some((d) => d == null)) return null;
  const begins: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < n; i++) {
    const size = inSpatial[i] as number;
    const s = strides[i] as number;
    const effK = ((kernel[i] as number) - 1) * (dilations[i] as number) + 1;
    const out = Math.ceil(size / s);
    const total = Math.max(0, (out - 1) * s + effK - size);
    begins.push(Math.floor(total / 2));
    ends.push(total - Math.floor(total / 2));
  }
  return [...begins, ...ends];
}

function padAttrs(pads: number[] | null): Record<string, AttributeValue> {
  return pads == null ? { auto_pad: attr.s('SAME_UPPER') } : { pads: attr.ints(pads) };
}

function withActivation(call: LayerCall, v: GraphValue): GraphValue {
  return applyActivation(call.g, v, call.config.activation as string | undefined, `${call.base}_act`);
}

function biasIfUsed(call: LayerCall, weights: Map<string, WeightArray>): WeightArray | null {
  if (call.config.useBias === false) return null;
  return weights.get('bias') ?? null;
}

/** ONNX Conv on a channels-first value. kernel is already [Cout, Cin/group, ...k]. */
function convNode(
  call: LayerCall,
  x: GraphValue,
  kernel: WeightArray,
  bias: WeightArray | null,
  opts: { kernelShape: number[]; strides: number[]; dilations: number[]; pads: number[] | null; group: number; base: string },
): GraphValue {
  const g = call.g;
  const inputs = [x.name, g.floatConst(`${opts.base}_W`, kernel.data, kernel.shape)];
  if (bias) inputs.push(g.floatConst(`${opts.base}_B`, bias.data, bias.shape));
  const out = g.node1('Conv', inputs, opts.base, {
    kernel_shape: attr.ints(opts.kernelShape),
    strides: attr.ints(opts.strides),
    dilations: attr.ints(opts.dilations),
    group: attr.i(opts.group),
    ...padAttrs(opts.pads),
  });
  return { name: out, rank: x.rank, layout: 'first' };
}

// ---------- core ----------

const dense: LayerConverter = (call) => {
  const g = call.g;
  const x = single(call);
  const w = layerWeights(call.layer);
  const kernel = requireWeight(w, 'kernel', call.layer.name);
  const bias = biasIfUsed(call, w);
  const W = g.floatConst(`${call.base}_W`, kernel.data, kernel.shape);
  let out: GraphValue;
  if (x.rank === 2) {
    const inputs = [x.name, W];
    if (bias) inputs.push(g.floatConst(`${call.base}_B`, bias.data, bias.shape));
    out = { name: g.node1('Gemm', inputs, call.base), rank: 2, layout: 'last' };
  } else {
    const xl = g.toLast(x);
    let y = g.node1('MatMul', [xl.name, W], bias ? `${call.base}_matmul` : call.base);
    if (bias) y = g.node1('Add', [y, g.floatConst(`${call.base}_B`, bias.data, bias.shape)], call.base);
    out = { name: y, rank: x.rank, layout: 'last' };
  }
  return [withActivation(call, out)];
};

const conv2d: LayerConverter = (call) => {
  requireChannelsLast(call);
  const x = call.g.toFirst(single(call));
  const w = layerWeights(call.layer);
  const kernel = requireWeight(w, 'kernel', call.layer.name); // [kh, kw, cin, cout]
  const kernelShape = kernel.shape.slice(0, 2);
  const strides = tuple(call.config.strides, 2, 'strides');
  const dilations = tuple(call.config.dilationRate, 2, 'dilationRate');
  const pads = convPads(call.config.padding, spatialDims(call.inputShapes[0] as Shape), kernelShape, strides, dilations, call.layer.name);
  const y = convNode(call, x, transposeWeights(kernel, [3, 2, 0, 1]), biasIfUsed(call, w), {
    kernelShape, strides, dilations, pads, group: 1, base: call.base,
  });
  return [withActivation(call, y)];
};

const conv1d: LayerConverter = (call) => {
  requireChannelsLast(call);
  const x = call.g.toFirst(single(call));
  const w = layerWeights(call.layer);
  const kernel = requireWeight(w, 'kernel', call.layer.name); // [k, cin, cout]
  const kernelShape = kernel.shape.slice(0, 1);
  const strides = tuple(call.config.strides, 1, 'strides');
  const dilations = tuple(call.config.dilationRate, 1, 'dilationRate');
  const pads = convPads(call.config.padding, spatialDims(call.inputShapes[0] as Shape), kernelShape, strides, dilations, call.layer.name);
  const y = convNode(call, x, transposeWeights(kernel, [2, 1, 0]), biasIfUsed(call, w), {
    kernelShape, strides, dilations, pads, group: 1, base: call.base,
  });
  return [withActivation(call, y)];
};

/** Depthwise kernel [kh, kw, cin, mult] -> grouped ONNX Conv weight [cin*mult, 1, kh, kw]. */
function depthwiseKernel(k: WeightArray): WeightArray {
  const t = transposeWeights(k, [2, 3, 0, 1]); // [cin, mult, kh, kw], channel = c*mult + m as in TF
  const [cin, mult, kh, kw] = t.shape as [number, number, number, number];
  return { data: t.data, shape: [cin * mult, 1, kh, kw] };
}

const depthwiseConv2d: LayerConverter = (call) => {
  requireChannelsLast(call);
  const x = call.g.toFirst(single(call));
  const w = layerWeights(call.layer);
  const kernel = requireWeight(w, 'depthwise_kernel', call.layer.name);
  const kernelShape = kernel.shape.slice(0, 2);
  const strides = tuple(call.config.strides, 2, 'strides');
  const dilations = tuple(call.config.dilationRate, 2, 'dilationRate');
  const pads = convPads(call.config.padding, spatialDims(call.inputShapes[0] as Shape), kernelShape, strides, dilations, call.layer.name);
  const y = convNode(call, x, depthwiseKernel(kernel), biasIfUsed(call, w), {
    kernelShape, strides, dilations, pads, group: kernel.shape[2] as number, base: call.base,
  });
  return [withActivation(call, y)];
};

const separableConv2d: LayerConverter = (call) => {
  requireChannelsLast(call);
  const x = call.g.toFirst(single(call));
  const w = layerWeights(call.layer);
  const dk = requireWeight(w, 'depthwise_kernel', call.layer.name);
  const pk = requireWeight(w, 'pointwise_kernel', call.layer.name); // [1, 1, cin*mult, cout]
  const kernelShape = dk.shape.slice(0, 2);
  const strides = tuple(call.config.strides, 2, 'strides');
  const dilations = tuple(call.config.dilationRate, 2, 'dilationRate');
  const pads = convPads(call.config.padding, spatialDims(call.inputShapes[0] as Shape), kernelShape, strides, dilations, call.layer.name);
  const depth = convNode(call, x, depthwiseKernel(dk), null, {
    kernelShape, strides, dilations, pads, group: dk.shape[2] as number, base: `${call.base}_depthwise`,
  });
  const y = convNode(call, depth, transposeWeights(pk, [3, 2, 0, 1]), biasIfUsed(call, w), {
    kernelShape: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1, base: call.base,
  });
  return [withActivation(call, y)];
};

function pooling(op: 'MaxPool' | 'AveragePool', dims: 1 | 2): LayerConverter {
  return (call) => {
    requireChannelsLast(call);
    const x = call.g.toFirst(single(call));
    const kernel = tuple(call.config.poolSize, dims, 'poolSize');
    const strides = call.config.strides == null ? kernel : tuple(call.config.strides, dims, 'strides');
    const ones = new Array<number>(dims).fill(1);
    const pads = convPads(call.config.padding, spatialDims(call.inputShapes[0] as Shape), kernel, strides, ones, call.layer.name);
    const attrs: Record<string, AttributeValue> = {
      kernel_shape: attr.ints(kernel),
      strides: attr.ints(strides),
      ...padAttrs(pads),
    };
    if (op === 'AveragePool') attrs.count_include_pad = attr.i(0);
    return [{ name: call.g.node1(op, [x.name], call.base, attrs), rank: x.rank, layout: 'first' }];
  };
}

function globalPooling(kind: 'avg' | 'max'): LayerConverter {
  return (call) => {
    requireChannelsLast(call);
    const g = call.g;
    const x = single(call);
    if (call.config.keepDims === true) {
      const axes = Array.from({ length: x.rank - 2 }, (_, i) => onnxAxis(x, i + 1));
      const out = g.node1(kind === 'avg' ? 'ReduceMean' : 'ReduceMax', [x.name], call.base, {
        axes: attr.ints(axes),
        keepdims: attr.i(1),
      });
      return [{ name: out, rank: x.rank, layout: x.layout }];
    }
    if (x.layout === 'first') {
      const pooled = g.node1(kind === 'avg' ? 'GlobalAveragePool' : 'GlobalMaxPool', [x.name], `${call.base}_pool`);
      return [{ name: g.node1('Flatten', [pooled], call.base, { axis: attr.i(1) }), rank: 2, layout: 'last' }];
    }
    const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 1);
    const out = g.node1(kind === 'avg' ? 'ReduceMean' : 'ReduceMax', [x.name], call.base, {
      axes: attr.ints(axes),
      keepdims: attr.i(0),
    });
    return [{ name: out, rank: 2, layout: 'last' }];
  };
}

const batchNormalization: LayerConverter = (call) => {
  const g = call.g;
  const x = single(call);
  const w = layerWeights(call.layer);
  const mean = requireWeight(w, 'moving_mean', call.layer.name);
  const variance = requireWeight(w, 'moving_variance', call.layer.name);
  const channels = mean.data.length;
  const gamma = w.get('gamma') ?? { data: new Float32Array(channels).fill(1), shape: [channels] };
  const beta = w.get('beta') ?? { data: new Float32Array(channels), shape: [channels] };
  const epsilon = (call.config.epsilon as number | undefined) ?? 1e-3;
  const axisCfg = call.config.axis;
  const axis = Array.isArray(axisCfg) ? (axisCfg.length === 1 ? (axisCfg[0] as number) : NaN) : ((axisCfg as number | undefined) ?? -1);
  if (!Number.isInteger(axis)) throw new Error(`ONNX export: '${call.layer.name}': BatchNormalization over several axes is not supported`);
  const k = onnxAxis(x, axis);
  if (k === 1) {
    const out = g.node1(
      'BatchNormalization',
      [
        x.name,
        g.floatConst(`${call.base}_gamma`, gamma.data, [channels]),
        g.floatConst(`${call.base}_beta`, beta.data, [channels]),
        g.floatConst(`${call.base}_mean`, mean.data, [channels]),
        g.floatConst(`${call.base}_var`, variance.data, [channels]),
      ],
      call.base,
      { epsilon: attr.f(epsilon) },
    );
    return [{ ...x, name: out }];
  }
  // Channel axis not at ONNX axis 1: y = x * a + b with a, b broadcast along axis k.
  const a = new Float32Array(channels);
  const b = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const inv = 1 / Math.sqrt((variance.data[c] as number) + epsilon);
    a[c] = inv * (gamma.data[c] as number);
    b[c] = (beta.data[c] as number) - (mean.data[c] as number) * (a[c] as number);
  }
  const bshape = [channels, ...new Array<number>(x.rank - 1 - k).fill(1)];
  const scaled = g.node1('Mul', [x.name, g.floatConst(`${call.base}_scale`, a, bshape)], `${call.base}_scaled`);
  return [{ ...x, name: g.node1('Add', [scaled, g.floatConst(`${call.base}_shift`, b, bshape)], call.base) }];
};

const flatten: LayerConverter = (call) => {
  const x = call.g.toLast(single(call));
  if (x.rank === 2) return [x];
  return [{ name: call.g.node1('Flatten', [x.name], call.base, { axis: attr.i(1) }), rank: 2, layout: 'last' }];
};

const reshape: LayerConverter = (call) => {
  const x = call.g.toLast(single(call));
  const target = call.config.targetShape as number[];
  const shape = call.g.int64Const(`${call.base}_shape`, [0, ...target]);
  return [{ name: call.g.node1('Reshape', [x.name, shape], call.base), rank: target.length + 1, layout: 'last' }];
};

const permute: LayerConverter = (call) => {
  const x = single(call);
  const dims = call.config.dims as number[];
  const perm = call.g.permFor(x, [0, ...dims]);
  return [{ name: call.g.node1('Transpose', [x.name], call.base, { perm: attr.ints(perm) }), rank: x.rank, layout: 'last' }];
};

const identity: LayerConverter = (call) => [single(call)];

const activationLayer: LayerConverter = (call) => [withActivation(call, single(call))];

const leakyReLU: LayerConverter = (call) => {
  const x = single(call);
  const alpha = (call.config.alpha as number | undefined) ?? 0.3;
  return [{ ...x, name: call.g.node1('LeakyRelu', [x.name], call.base, { alpha: attr.f(alpha) }) }];
};

const reLU: LayerConverter = (call) => {
  const x = single(call);
  const g = call.g;
  const maxValue = call.config.maxValue as number | null | undefined;
  if (maxValue == null) return [{ ...x, name: g.node1('Relu', [x.name], call.base) }];
  const lo = g.floatConst(`${call.base}_min`, new Float32Array([0]), []);
  const hi = g.floatConst(`${call.base}_max`, new Float32Array([maxValue]), []);
  return [{ ...x, name: g.node1('Clip', [x.name, lo, hi], call.base) }];
};

const eluLayer: LayerConverter = (call) => {
  const x = single(call);
  const alpha = (call.config.alpha as number | undefined) ?? 1;
  return [{ ...x, name: call.g.node1('Elu', [x.name], call.base, { alpha: attr.f(alpha) }) }];
};

const thresholdedReLU: LayerConverter = (call) => {
  const x = single(call);
  const theta = (call.config.theta as number | undefined) ?? 1;
  return [{ ...x, name: call.g.node1('ThresholdedRelu', [x.name], call.base, { alpha: attr.f(theta) }) }];
};

const softmaxLayer: LayerConverter = (call) => {
  const x = single(call);
  const axisCfg = call.config.axis;
  const axis = Array.isArray(axisCfg) ? (axisCfg[0] as number) : ((axisCfg as number | undefined) ?? -1);
  return [applyActivation(call.g, x, 'softmax', call.base, axis)];
};

const pReLU: LayerConverter = (call) => {
  const x = single(call);
  const w = layerWeights(call.layer);
  const alpha = requireWeight(w, 'alpha', call.layer.name); // tfjs shape = input shape without batch
  let slope = alpha;
  if (x.layout === 'first' && x.rank > 2) {
    const r = alpha.shape.length; // = x.rank - 1, axes [d1..dk, C]
    slope = transposeWeights(alpha, [r - 1, ...Array.from({ length: r - 1 }, (_, i) => i)]);
  }
  const s = call.g.floatConst(`${call.base}_slope`, slope.data, slope.shape);
  return [{ ...x, name: call.g.node1('PRelu', [x.name, s], call.base) }];
};

function padValue(call: LayerCall, x: GraphValue, before: number[], after: number[]): GraphValue {
  // before/after are per tfjs spatial axis (1..rank-2); map to ONNX axes of x.
  const begins = new Array<number>(x.rank).fill(0);
  const ends = new Array<number>(x.rank).fill(0);
  before.forEach((p, i) => (begins[onnxAxis(x, i + 1)] = p));
  after.forEach((p, i) => (ends[onnxAxis(x, i + 1)] = p));
  const pads = call.g.int64Const(`${call.base}_pads`, [...begins, ...ends]);
  return { ...x, name: call.g.node1('Pad', [x.name, pads], call.base, { mode: attr.s('constant') }) };
}

function pairList(v: unknown, dims: number, what: string): Array<[number, number]> {
  if (typeof v === 'number') return new Array(dims).fill([v, v]);
  if (Array.isArray(v) && v.length === dims) {
    return v.map((p) => (typeof p === 'number' ? [p, p] : (tuple(p, 2, what) as [number, number])));
  }
  throw new Error(`ONNX export: cannot read ${what} ${JSON.stringify(v)}`);
}

const zeroPadding2d: LayerConverter = (call) => {
  requireChannelsLast(call);
  const pads = pairList(call.config.padding, 2, 'padding');
  return [padValue(call, single(call), pads.map((p) => p[0]), pads.map((p) => p[1]))];
};

const cropping2d: LayerConverter = (call) => {
  requireChannelsLast(call);
  const x = single(call);
  const crops = pairList(call.config.cropping, 2, 'cropping');
  const g = call.g;
  const axes = [onnxAxis(x, 1), onnxAxis(x, 2)];
  const starts = g.int64Const(`${call.base}_starts`, crops.map((c) => c[0]));
  const ends = g.int64Const(`${call.base}_ends`, crops.map((c) => (c[1] === 0 ? Number.MAX_SAFE_INTEGER : -c[1])));
  const axesName = g.int64Const(`${call.base}_axes`, axes);
  return [{ ...x, name: g.node1('Slice', [x.name, starts, ends, axesName], call.base) }];
};

const upSampling2d: LayerConverter = (call) => {
  requireChannelsLast(call);
  if (call.config.interpolation != null && call.config.interpolation !== 'nearest') {
    throw new Error(`ONNX export: '${call.layer.name}': UpSampling2D interpolation '${String(call.config.interpolation)}' not supported (nearest only)`);
  }
  const x = single(call);
  const size = tuple(call.config.size, 2, 'size');
  const g = call.g;
  const scales = new Float32Array(x.rank).fill(1);
  scales[onnxAxis(x, 1)] = size[0] as number;
  scales[onnxAxis(x, 2)] = size[1] as number;
  const out = g.node1('Resize', [x.name, '', g.floatConst(`${call.base}_scales`, scales, [x.rank])], call.base, {
    mode: attr.s('nearest'),
    coordinate_transformation_mode: attr.s('asymmetric'),
    nearest_mode: attr.s('floor'),
  });
  return [{ ...x, name: out }];
};

const repeatVector: LayerConverter = (call) => {
  const x = call.g.toLast(single(call)); // [N, F]
  const n = call.config.n as number;
  const g = call.g;
  const unsq = g.node1('Unsqueeze', [x.name, g.int64Const(`${call.base}_axis`, [1])], `${call.base}_unsq`);
  const out = g.node1('Tile', [unsq, g.int64Const(`${call.base}_repeats`, [1, n, 1])], call.base);
  return [{ name: out, rank: 3, layout: 'last' }];
};

const embedding: LayerConverter = (call) => {
  const g = call.g;
  const x = g.toLast(single(call));
  const w = layerWeights(call.layer);
  const table = requireWeight(w, 'embeddings', call.layer.name);
  const idx = g.node1('Cast', [x.name], `${call.base}_idx`, { to: attr.i(7) });
  const out = g.node1('Gather', [g.floatConst(`${call.base}_table`, table.data, table.shape), idx], call.base, { axis: attr.i(0) });
  return [{ name: out, rank: x.rank + 1, layout: 'last' }];
};

/** Inputs of a merge layer in one common layout (the first input's). */
function commonLayout(call: LayerCall): { values: GraphValue[]; layout: Layout } {
  const first = call.inputs[0];
  if (!first) throw new Error(`ONNX export: '${call.layer.name}' has no inputs`);
  if (call.inputs.some((v) => v.rank !== first.rank)) {
    throw new Error(`ONNX export: '${call.layer.name}' merges tensors of different ranks; not supported`);
  }
  const layout = first.layout;
  return { values: call.inputs.map((v) => call.g.toLayout(v, layout)), layout };
}

function elementwiseMerge(op: 'Sum' | 'Mul' | 'Mean' | 'Max' | 'Min'): LayerConverter {
  return (call) => {
    const { values } = commonLayout(call);
    const first = values[0] as GraphValue;
    return [{ ...first, name: call.g.node1(op, values.map((v) => v.name), call.base) }];
  };
}

const concatenate: LayerConverter = (call) => {
  const { values } = commonLayout(call);
  const first = values[0] as GraphValue;
  const axis = onnxAxis(first, (call.config.axis as number | undefined) ?? -1);
  return [{ ...first, name: call.g.node1('Concat', values.map((v) => v.name), call.base, { axis: attr.i(axis) }) }];
};

export const CORE_CONVERTERS: Record<string, LayerConverter> = {
  Dense: dense,
  Conv1D: conv1d,
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  MaxPooling1D: pooling('MaxPool', 1),
  MaxPooling2D: pooling('MaxPool', 2),
  AveragePooling1D: pooling('AveragePool', 1),
  AveragePooling2D: pooling('AveragePool', 2),
  GlobalAveragePooling1D: globalPooling('avg'),
  GlobalAveragePooling2D: globalPooling('avg'),
  GlobalMaxPooling1D: globalPooling('max'),
  GlobalMaxPooling2D: globalPooling('max'),
  BatchNormalization: batchNormalization,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  ActivityRegularization: identity,
  Activation: activationLayer,
  LeakyReLU: leakyReLU,
  ReLU: reLU,
  ELU: eluLayer,
  ThresholdedReLU: thresholdedReLU,
  Softmax: softmaxLayer,
  PReLU: pReLU,
  ZeroPadding2D: zeroPadding2d,
  Cropping2D: cropping2d,
  UpSampling2D: upSampling2d,
  RepeatVector: repeatVector,
  Embedding: embedding,
  Add: elementwiseMerge('Sum'),
  Multiply: elementwiseMerge('Mul'),
  Average: elementwiseMerge('Mean'),
  Maximum: elementwiseMerge('Max'),
  Minimum: elementwiseMerge('Min'),
  Concatenate: concatenate,
};
