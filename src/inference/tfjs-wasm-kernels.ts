/**
 * Gradient kernels that @tensorflow/tfjs-backend-wasm (4.22) lacks, built from ops the wasm backend
 * does implement (pad, strided slice, matMul, sum, oneHot). Without them conv layers cannot train on
 * wasm: `Conv2DBackpropFilter` is the weight gradient of Conv1D/Conv2D (and of SeparableConv2D's
 * pointwise part), the depthwise pair serves DepthwiseConv2D/SeparableConv2D, and
 * `UnsortedSegmentSum` is the gradient of `gather` (Embedding layers).
 *
 * Every other kernel that Dense/Conv/Pool/BatchNorm/LSTM/GRU training needs (Conv2DBackpropInput,
 * MaxPoolGrad, AvgPoolGrad, FusedBatchNorm pieces, etc.) is already native in wasm.
 *
 * The kernels call tfjs ops: the engine suspends gradient recording while a kernel runs, and a
 * kernel may return a Tensor, so composing ops here is safe. Intermediates are freed with tidy.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap } from '@tensorflow/tfjs';

const { backend_util } = tf;

/** Names of the kernels this module adds to the wasm backend (absent there in 4.22). */
export const WASM_GRADIENT_KERNELS = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
] as const;

/**
 * wasm kernels this module replaces because the native ones give wrong gradients (4.22):
 * MaxPoolGrad is wrong for 2x2/stride-2 pooling (off by up to ~0.8 vs the numeric gradient) and
 * AvgPoolGrad divides border windows of 'same' pooling by the full window size although the
 * forward pass averages over the valid pixels only (the cpu backend has the same AvgPoolGrad bug).
 */
export const WASM_REPLACED_KERNELS = ['MaxPoolGrad', 'AvgPoolGrad', 'Conv2DBackpropInput'] as const;
// Conv2DBackpropInput is correct in wasm but ~10x slower than a forward conv2d: for stride 1 and no
// dilation the input gradient IS a forward conv2d (of dy with the flipped, transposed filter), so that
// case runs as one; anything else goes to the native kernel.

/** Native kernels replaced here, kept for the cases the replacement hands back. */
const nativeKernels = new Map<string, { config: KernelConfig; ready: boolean }>();

/** A replaced native kernel, set up for its backend on first use (its setup never ran once unregistered). */
function nativeKernel(name: string): KernelFunc | undefined {
  const n = nativeKernels.get(name);
  if (!n) return undefined;
  if (!n.ready) {
    const backend = tf.findBackend(n.config.backendName);
    if (!backend) return undefined;
    n.config.setupFunc?.(backend);
    n.ready = true;
  }
  return n.config.kernelFunc as KernelFunc;
}

type ConvInfo = ReturnType<typeof backend_util.computeConv2DInfo>;

function tensorInput(inputs: NamedTensorInfoMap, name: string): tf.Tensor {
  const t = inputs[name];
  if (t == null) throw new Error(`wasm gradient kernel: missing input '${name}'`);
  return t as tf.Tensor;
}

/**
 * Zero-pad an NHWC input as the convolution saw it, plus any extra bottom/right rows that strided
 * tap slicing may reach (those rows meet no output and contribute zero).
 */
function padForTaps(x: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  const { top, bottom, left, right } = info.padInfo;
  const needH = (info.filterHeight - 1) * info.dilationHeight + (info.outHeight - 1) * info.strideHeight + 1;
  const needW = (info.filterWidth - 1) * info.dilationWidth + (info.outWidth - 1) * info.strideWidth + 1;
  const extraBottom = Math.max(0, needH - (info.inHeight + top + bottom));
  const extraRight = Math.max(0, needW - (info.inWidth + left + right));
  const pads: Array<[number, number]> = [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom) + extraBottom],
    [Math.max(0, left), Math.max(0, right) + extraRight],
    [0, 0],
  ];
  const padded = pads.some(([a, b]) => a !== 0 || b !== 0) ? tf.pad(x, pads) : x;
  // Negative pads (never produced by tfjs for valid/same, possible for explicit) crop instead.
  if (top < 0 || left < 0) {
    return tf.slice(padded, [0, Math.max(0, -top), Math.max(0, -left), 0]);
  }
  return padded;
}

/** The input window that filter tap (kh, kw) multiplies, one row per output position: [N, OH, OW, C]. */
function tapSlice(xPadded: tf.Tensor4D, info: ConvInfo, kh: number, kw: number): tf.Tensor4D {
  const h0 = kh * info.dilationHeight;
  const w0 = kw * info.dilationWidth;
  return tf.stridedSlice(
    xPadded,
    [0, h0, w0, 0],
    [
      xPadded.shape[0],
      h0 + (info.outHeight - 1) * info.strideHeight + 1,
      w0 + (info.outWidth - 1) * info.strideWidth + 1,
      xPadded.shape[3],
    ],
    [1, info.strideHeight, info.strideWidth, 1],
  ) as tf.Tensor4D;
}

function toNHWC(t: tf.Tensor4D, dataFormat: unknown): tf.Tensor4D {
  return dataFormat === 'NCHW' ? tf.transpose(t, [0, 2, 3, 1]) : t;
}

const conv2dBackpropFilter: KernelFunc = ({ inputs, attrs }) => {
  const a = attrs as NamedAttrMap;
  const filterShape = a.filterShape as [number, number, number, number];
  return tf.tidy(() => {
    const x = toNHWC(tensorInput(inputs, 'x') as tf.Tensor4D, a.dataFormat);
    const dy = toNHWC(tensorInput(inputs, 'dy') as tf.Tensor4D, a.dataFormat);
    const info = backend_util.computeConv2DInfo(
      x.shape,
      filterShape,
      a.strides as [number, number],
      1,
      a.pad as 'valid' | 'same' | number,
      a.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
      false,
      'channelsLast',
    );
    const [kH, kW, cIn, cOut] = filterShape;
    const xPadded = padForTaps(x, info);
    if (info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 && info.dilationWidth === 1) {
      // Unit stride: the filter gradient is itself a forward conv2d (native and fast in wasm), with
      // the input channels as the batch, the batch as the channels and dy as a [OH, OW, N, cOut] filter:
      // dW[kh, kw, ci, co] = sum_{n,y,x} xPadded[n, y+kh, x+kw, ci] * dy[n, y, x, co].
      const xs = tf.slice(xPadded, [0, 0, 0, 0], [xPadded.shape[0], info.outHeight + kH - 1, info.outWidth + kW - 1, cIn]);
      const asBatch = tf.transpose(xs, [3, 1, 2, 0]) as tf.Tensor4D; // [cIn, H, W, N]
      const dyFilter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [OH, OW, N, cOut]
      const out = tf.conv2d(asBatch, dyFilter, 1, 'valid'); // [cIn, kH, kW, cOut]
      return tf.transpose(out, [1, 2, 0, 3]);
    }
    const rows = dy.shape[0] * dy.shape[1] * dy.shape[2];
    // wasm matMul with transposeA is ~10x slower than transposing once and multiplying plainly.
    const dyT = tf.transpose(tf.reshape(dy, [rows, cOut]));
    const taps: tf.Tensor2D[] = [];
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++) {
        const xs = tf.reshape(tapSlice(xPadded, info, kh, kw), [rows, cIn]);
        taps.push(tf.matMul(dyT, xs)); // [cOut, cIn]
      }
    }
    return tf.transpose(tf.reshape(tf.stack(taps), [kH, kW, cOut, cIn]), [0, 1, 3, 2]);
  });
};

const conv2dBackpropInput: KernelFunc = (args) => {
  const a = args.attrs as NamedAttrMap;
  const strides = a.strides as number | [number, number];
  const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
  const native = nativeKernel('Conv2DBackpropInput');
  const filter = tensorInput(args.inputs, 'filter') as tf.Tensor4D;
  const inputShape = a.inputShape as [number, number, number, number];
  const [kH, kW] = filter.shape;
  let pads: Array<[number, number]> | undefined;
  if (sh === 1 && sw === 1 && a.dataFormat !== 'NCHW') {
    const info = backend_util.computeConv2DInfo(inputShape, filter.shape, 1, 1, a.pad as 'valid' | 'same' | number, a.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined, false, 'channelsLast');
    const { top, bottom, left, right } = info.padInfo;
    const p: Array<[number, number]> = [[0, 0], [kH - 1 - top, kH - 1 - bottom], [kW - 1 - left, kW - 1 - right], [0, 0]];
    if (p.every(([x, y]) => x >= 0 && y >= 0)) pads = p;
  }
  if (!pads) {
    if (!native) throw new Error('Conv2DBackpropInput: strided/dilated case needs the native wasm kernel, which is not registered');
    return native(args);
  }
  const explicit = pads;
  return tf.tidy(() => {
    const dy = tensorInput(args.inputs, 'dy') as tf.Tensor4D;
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(dy, flipped, 1, explicit as unknown as 'same');
  });
};

const depthwiseBackpropFilter: KernelFunc = ({ inputs, attrs }) => {
  const a = attrs as NamedAttrMap;
  const filterShape = a.filterShape as [number, number, number, number];
  return tf.tidy(() => {
    const x = tensorInput(inputs, 'x') as tf.Tensor4D;
    const dy = tensorInput(inputs, 'dy') as tf.Tensor4D;
    const info = backend_util.computeConv2DInfo(
      x.shape,
      filterShape,
      a.strides as [number, number],
      a.dilations as [number, number],
      a.pad as 'valid' | 'same' | number,
      a.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
      true,
    );
    const [kH, kW, cIn, mult] = filterShape;
    const rows = dy.shape[0] * dy.shape[1] * dy.shape[2];
    const dy3 = tf.reshape(dy, [rows, cIn, mult]);
    const xPadded = padForTaps(x, info);
    const taps: tf.Tensor2D[] = [];
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++) {
        const xs = tf.reshape(tapSlice(xPadded, info, kh, kw), [rows, cIn, 1]);
        taps.push(tf.sum(tf.mul(xs, dy3), 0) as tf.Tensor2D);
      }
    }
    return tf.reshape(tf.stack(taps), [kH, kW, cIn, mult]);
  });
};

/**
 * Place `t` ([N, OH, OW, C]) at rows h0, h0+s, ... and columns w0, w0+s, ... of a zero tensor of
 * spatial size [outH, outW] (the padded input frame).
 */
function scatterTap(t: tf.Tensor4D, info: ConvInfo, h0: number, w0: number, outH: number, outW: number): tf.Tensor4D {
  const [n, oh, ow, c] = t.shape;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  let spread: tf.Tensor4D = t;
  if (sh > 1 || sw > 1) {
    const six = tf.reshape(t, [n, oh, 1, ow, 1, c]);
    const padded = tf.pad(six, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
    spread = tf.reshape(padded, [n, oh * sh, ow * sw, c]);
  }
  const spanH = spread.shape[1];
  const spanW = spread.shape[2];
  // Crop or pad so the tap lands at (h0, w0) inside the [outH, outW] frame.
  const keepH = Math.min(spanH, outH - h0);
  const keepW = Math.min(spanW, outW - w0);
  const cropped = keepH < spanH || keepW < spanW ? tf.slice(spread, [0, 0, 0, 0], [n, keepH, keepW, c]) : spread;
  return tf.pad(cropped, [[0, 0], [h0, outH - h0 - keepH], [w0, outW - w0 - keepW], [0, 0]]);
}

const depthwiseBackpropInput: KernelFunc = ({ inputs, attrs }) => {
  const a = attrs as NamedAttrMap;
  const inputShape = a.inputShape as [number, number, number, number];
  return tf.tidy(() => {
    const dy = tensorInput(inputs, 'dy') as tf.Tensor4D;
    const filter = tensorInput(inputs, 'filter') as tf.Tensor4D;
    const info = backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      a.strides as [number, number],
      a.dilations as [number, number],
      a.pad as 'valid' | 'same' | number,
      a.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
      true,
    );
    const [kH, kW, cIn, mult] = filter.shape;
    const [n, oh, ow] = dy.shape;
    const { top, left } = info.padInfo;
    const frameH = Math.max(info.inHeight + top, top + (kH - 1) * info.dilationHeight + (oh - 1) * info.strideHeight + 1);
    const frameW = Math.max(info.inWidth + left, left + (kW - 1) * info.dilationWidth + (ow - 1) * info.strideWidth + 1);
    const dy5 = tf.reshape(dy, [n, oh, ow, cIn, mult]);
    let acc: tf.Tensor4D | null = null;
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++) {
        const w = tf.reshape(tf.slice(filter, [kh, kw, 0, 0], [1, 1, cIn, mult]), [cIn, mult]);
        const contribution = tf.sum(tf.mul(dy5, w), 4) as tf.Tensor4D;
        const placed = scatterTap(contribution, info, kh * info.dilationHeight, kw * info.dilationWidth, frameH, frameW);
        acc = acc == null ? placed : tf.add<tf.Tensor4D>(acc, placed);
      }
    }
    if (acc == null) throw new Error('DepthwiseConv2dNativeBackpropInput: empty filter');
    return tf.slice(acc, [0, top, left, 0], [n, info.inHeight, info.inWidth, cIn]);
  });
};

const unsortedSegmentSum: KernelFunc = ({ inputs, attrs }) => {
  const numSegments = (attrs as NamedAttrMap).numSegments as number;
  return tf.tidy(() => {
    const x = tensorInput(inputs, 'x');
    const ids = tensorInput(inputs, 'segmentIds');
    const m = ids.size;
    const tail = x.shape.slice(ids.rank);
    const width = tail.reduce((p, d) => p * d, 1);
    // wasm's OneHot writes garbage for dtype float32 (4.22): build it as int32, then cast.
    const oneHot = tf.cast(tf.oneHot(tf.cast(tf.reshape(ids, [m]), 'int32'), numSegments), 'float32');
    const xs = tf.reshape(tf.cast(x, 'float32'), [m, width]);
    const summed = tf.matMul(tf.transpose(oneHot), xs);
    const out = tf.reshape(summed, [numSegments, ...tail]);
    return x.dtype === 'int32' ? tf.cast(tf.round(out), 'int32') : out;
  });
};

function poolInfo(xShape: number[], a: NamedAttrMap): ConvInfo {
  return backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    a.filterSize as [number, number] | number,
    a.strides as [number, number] | number,
    1,
    a.pad as 'valid' | 'same' | number,
    a.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
}

/**
 * The pooling gradients are plain loops over the typed arrays (like tfjs-cpu): on wasm, composing
 * them from strided slices and 6-D transposes was 100x slower than the forward pass.
 */
function poolGradLoop(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  info: ConvInfo,
  visit: (xv: Float32Array, dyv: Float32Array, dx: Float32Array, rowStart: number, rowEnd: number, colStart: number, colEnd: number, base: number, outIndex: number) => void,
): tf.Tensor4D {
  const [n, inH, inW, c] = x.shape;
  const xv = x.dataSync() as Float32Array;
  const dyv = dy.dataSync() as Float32Array;
  const dx = new Float32Array(x.size);
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const r0 = r * sh - top;
      const rowStart = Math.max(0, r0);
      const rowEnd = Math.min(inH, r0 + kh);
      for (let q = 0; q < ow; q++) {
        const c0 = q * sw - left;
        const colStart = Math.max(0, c0);
        const colEnd = Math.min(inW, c0 + kw);
        const outBase = ((b * oh + r) * ow + q) * c;
        for (let d = 0; d < c; d++) {
          visit(xv, dyv, dx, rowStart, rowEnd, colStart, colEnd, b * inH * inW * c + d, outBase + d);
        }
      }
    }
  }
  return tf.tensor4d(dx, x.shape, 'float32');
}

/** MaxPoolGrad: dy goes to the first maximum of each window (as TensorFlow and tfjs-cpu do). */
const maxPoolGrad: KernelFunc = ({ inputs, attrs }) => {
  const x = tensorInput(inputs, 'input') as tf.Tensor4D;
  const dy = tensorInput(inputs, 'dy') as tf.Tensor4D;
  const info = poolInfo(x.shape, attrs as NamedAttrMap);
  const [, , inW, c] = x.shape;
  return poolGradLoop(x, dy, info, (xv, dyv, dx, r0, r1, c0, c1, base, outIndex) => {
    let best = -Infinity;
    let at = -1;
    for (let i = r0; i < r1; i++) {
      for (let j = c0; j < c1; j++) {
        const idx = base + (i * inW + j) * c;
        const v = xv[idx] as number;
        if (v > best || at < 0) {
          best = v;
          at = idx;
        }
      }
    }
    if (at >= 0) dx[at] = (dx[at] as number) + (dyv[outIndex] as number);
  });
};

/** AvgPoolGrad: each output's gradient is shared by the valid (non-padding) pixels of its window. */
const avgPoolGrad: KernelFunc = ({ inputs, attrs }) => {
  const x = tensorInput(inputs, 'input') as tf.Tensor4D;
  const dy = tensorInput(inputs, 'dy') as tf.Tensor4D;
  const info = poolInfo(x.shape, attrs as NamedAttrMap);
  const [, , inW, c] = x.shape;
  return poolGradLoop(x, dy, info, (_xv, dyv, dx, r0, r1, c0, c1, base, outIndex) => {
    const count = (r1 - r0) * (c1 - c0);
    if (count <= 0) return;
    const share = (dyv[outIndex] as number) / count;
    for (let i = r0; i < r1; i++) {
      for (let j = c0; j < c1; j++) {
        const idx = base + (i * inW + j) * c;
        dx[idx] = (dx[idx] as number) + share;
      }
    }
  });
};

const KERNELS: Record<(typeof WASM_GRADIENT_KERNELS)[number] | (typeof WASM_REPLACED_KERNELS)[number], KernelFunc> = {
  Conv2DBackpropFilter: conv2dBackpropFilter,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  UnsortedSegmentSum: unsortedSegmentSum,
  MaxPoolGrad: maxPoolGrad,
  AvgPoolGrad: avgPoolGrad,
  Conv2DBackpropInput: conv2dBackpropInput,
};

const OURS = new Set<KernelFunc>(Object.values(KERNELS));

/**
 * Register the missing gradient kernels for `backendName` (default 'wasm') and replace its faulty
 * pooling gradients. Idempotent. Returns the names registered by this call.
 */
export function registerWasmGradientKernels(backendName = 'wasm'): string[] {
  const registered: string[] = [];
  const replace = new Set<string>(WASM_REPLACED_KERNELS);
  for (const [kernelName, kernelFunc] of Object.entries(KERNELS)) {
    const existing = tf.getKernel(kernelName, backendName);
    if (existing != null && OURS.has(existing.kernelFunc)) continue;
    if (existing != null) {
      if (!replace.has(kernelName)) continue;
      nativeKernels.set(kernelName, { config: existing as KernelConfig, ready: false });
      tf.unregisterKernel(kernelName, backendName);
    }
    const config: KernelConfig = { kernelName, backendName, kernelFunc };
    tf.registerKernel(config);
    registered.push(kernelName);
  }
  return registered;
}

/**
 * Replace the cpu backend's AvgPoolGrad (same border bug as wasm's) with the corrected one.
 * Returns true if it was replaced by this call.
 */
export function fixCpuAvgPoolGrad(): boolean {
  const existing = tf.getKernel('AvgPoolGrad', 'cpu');
  if (existing != null && existing.kernelFunc === avgPoolGrad) return false;
  if (existing != null) tf.unregisterKernel('AvgPoolGrad', 'cpu');
  tf.registerKernel({ kernelName: 'AvgPoolGrad', backendName: 'cpu', kernelFunc: avgPoolGrad });
  return true;
}
