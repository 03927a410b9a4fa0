/** tfjs activation functions (by their serialized name) as ONNX nodes. */
import { attr, onnxAxis, type GraphBuilder, type GraphValue } from '../../inference/onnx/graph-builder.js';

// tfjs-core selu constants (SELU_SCALEALPHA / SELU_SCALE); ONNX Selu takes alpha and gamma.
const SELU_SCALE = 1.0507009873554805;
const SELU_ALPHA = 1.7580993408473768 / SELU_SCALE;

function scalar(g: GraphBuilder, base: string, value: number): string {
  return g.floatConst(base, new Float32Array([value]), []);
}

/**
 * Apply the activation `name` (as in a tfjs layer config: 'relu', 'softmax', ...) to `v`.
 * `axis` is the tfjs axis for softmax/logSoftmax (default -1).
 */
export function applyActivation(
  g: GraphBuilder,
  v: GraphValue,
  name: string | undefined | null,
  base: string,
  axis = -1,
): GraphValue {
  const act = name ?? 'linear';
  const same = (out: string): GraphValue => ({ ...v, name: out });
  switch (act) {
    case 'linear':
      return v;
    case 'relu':
      return same(g.node1('Relu', [v.name], base));
    case 'relu6':
      return same(g.node1('Clip', [v.name, scalar(g, `${base}_min`, 0), scalar(g, `${base}_max`, 6)], base));
    case 'elu':
      return same(g.node1('Elu', [v.name], base, { alpha: attr.f(1) }));
    case 'selu':
      return same(g.node1('Selu', [v.name], base, { alpha: attr.f(SELU_ALPHA), gamma: attr.f(SELU_SCALE) }));
    case 'sigmoid':
      return same(g.node1('Sigmoid', [v.name], base));
    case 'hardSigmoid':
      return same(g.node1('HardSigmoid', [v.name], base, { alpha: attr.f(0.2), beta: attr.f(0.5) }));
    case 'softplus':
      return same(g.node1('Softplus', [v.name], base));
    case 'softsign':
      return same(g.node1('Softsign', [v.name], base));
    case 'tanh':
      return same(g.node1('Tanh', [v.name], base));
    case 'softmax':
      return same(g.node1('Softmax', [v.name], base, { axis: attr.i(onnxAxis(v, axis)) }));
    case 'logSoftmax':
      return same(g.node1('LogSoftmax', [v.name], base, { axis: attr.i(onnxAxis(v, axis)) }));
    case 'swish': {
      const s = g.node1('Sigmoid', [v.name], `${base}_sigmoid`);
      return same(g.node1('Mul', [v.name, s], base));
    }
    case 'mish': {
      const sp = g.node1('Softplus', [v.name], `${base}_softplus`);
      const t = g.node1('Tanh', [sp], `${base}_tanh`);
      return same(g.node1('Mul', [v.name, t], base));
    }
    case 'gelu': {
      // 0.5 * x * (1 + erf(x / sqrt(2)))
      const scaled = g.node1('Mul', [v.name, scalar(g, `${base}_rsqrt2`, Math.SQRT1_2)], `${base}_scaled`);
      const erf = g.node1('Erf', [scaled], `${base}_erf`);
      const onePlus = g.node1('Add', [erf, scalar(g, `${base}_one`, 1)], `${base}_1perf`);
      const half = g.node1('Mul', [v.name, scalar(g, `${base}_half`, 0.5)], `${base}_halfx`);
      return same(g.node1('Mul', [half, onePlus], base));
    }
    case 'gelu_new': {
      // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
      const cube = g.node1('Pow', [v.name, scalar(g, `${base}_three`, 3)], `${base}_cube`);
      const inner = g.node1('Add', [v.name, g.node1('Mul', [cube, scalar(g, `${base}_c`, 0.044715)], `${base}_cx3`)], `${base}_inner`);
      const t = g.node1('Tanh', [g.node1('Mul', [inner, scalar(g, `${base}_k`, Math.sqrt(2 / Math.PI))], `${base}_kin`)], `${base}_tanh`);
      const onePlus = g.node1('Add', [t, scalar(g, `${base}_one`, 1)], `${base}_1pt`);
      const half = g.node1('Mul', [v.name, scalar(g, `${base}_half`, 0.5)], `${base}_halfx`);
      return same(g.node1('Mul', [half, onePlus], base));
    }
    default:
      throw new Error(`ONNX export: activation '${act}' is not supported`);
  }
}

/** ONNX RNN activation names (LSTM/GRU/RNN `activations` attribute) with their alpha/beta. */
export function recurrentActivation(name: string | undefined | null): { op: string; alpha?: number; beta?: number } {
  switch (name ?? 'linear') {
    case 'sigmoid':
      return { op: 'Sigmoid' };
    case 'tanh':
      return { op: 'Tanh' };
    case 'relu':
      return { op: 'Relu' };
    case 'hardSigmoid':
      return { op: 'HardSigmoid', alpha: 0.2, beta: 0.5 };
    case 'linear':
      return { op: 'Affine', alpha: 1, beta: 0 };
    case 'softsign':
      return { op: 'Softsign' };
    case 'softplus':
      return { op: 'Softplus' };
    case 'elu':
      return { op: 'Elu', alpha: 1 };
    default:
      throw new Error(`ONNX export: recurrent activation '${name}' has no ONNX RNN equivalent`);
  }
}
