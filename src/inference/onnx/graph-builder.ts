/**
 * Builds an ONNX graph while tracking, for every value, how its ONNX axes relate to the tfjs
 * tensor it stands for. tfjs is channels-last (NHWC, NWC); ONNX Conv/Pool want channels-first.
 * Rather than transposing around every conv, values carry a layout:
 *   - 'last':  ONNX tensor has the tfjs axis order.
 *   - 'first': ONNX axes are tfjs axes [0, r-1, 1, ..., r-2] (channels moved to axis 1).
 * Transposes are inserted only where a layer needs the other layout (Flatten, Dense on rank > 2,
 * Reshape, the graph output), and cached so a value is transposed at most once.
 */
import {
  OnnxAttributeType,
  OnnxDataType,
  type OnnxAttribute,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-proto.js';

export type Layout = 'last' | 'first';

/** A value in the ONNX graph standing for a tfjs tensor of rank `rank`. */
export interface GraphValue {
  name: string;
  rank: number;
  layout: Layout;
}

export type AttributeValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] }
  | { kind: 'strings'; value: string[] };

export const attr = {
  f: (value: number): AttributeValue => ({ kind: 'float', value }),
  i: (value: number): AttributeValue => ({ kind: 'int', value }),
  s: (value: string): AttributeValue => ({ kind: 'string', value }),
  floats: (value: number[]): AttributeValue => ({ kind: 'floats', value }),
  ints: (value: number[]): AttributeValue => ({ kind: 'ints', value }),
  strings: (value: string[]): AttributeValue => ({ kind: 'strings', value }),
};

const utf8 = new TextEncoder();

function toAttribute(name: string, a: AttributeValue): OnnxAttribute {
  switch (a.kind) {
    case 'float':
      return { name, type: OnnxAttributeType.FLOAT, f: a.value };
    case 'int':
      return { name, type: OnnxAttributeType.INT, i: a.value };
    case 'string':
      return { name, type: OnnxAttributeType.STRING, s: utf8.encode(a.value) };
    case 'floats':
      return { name, type: OnnxAttributeType.FLOATS, floats: a.value };
    case 'ints':
      return { name, type: OnnxAttributeType.INTS, ints: a.value };
    case 'strings':
      return { name, type: OnnxAttributeType.STRINGS, strings: a.value.map((s) => utf8.encode(s)) };
  }
}

/** The permutation p such that onnxAxis i holds tfjs axis p[i]. */
export function layoutPerm(rank: number, layout: Layout): number[] {
  const ids = Array.from({ length: rank }, (_, i) => i);
  if (layout === 'last' || rank <= 2) return ids;
  return [0, rank - 1, ...ids.slice(1, rank - 1)];
}

/** ONNX axis that holds tfjs axis `tfAxis` (negative counts from the end) for this value. */
export function onnxAxis(v: GraphValue, tfAxis: number): number {
  const a = tfAxis < 0 ? tfAxis + v.rank : tfAxis;
  if (a < 0 || a >= v.rank) throw new Error(`axis ${tfAxis} out of range for a rank-${v.rank} tensor`);
  return layoutPerm(v.rank, v.layout).indexOf(a);
}

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];
  private readonly used = new Set<string>();
  private readonly transposeCache = new Map<string, GraphValue>();

  /** A name not used yet, derived from `base` (ONNX names must be unique in the graph). */
  uniqueName(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'v';
    let name = clean;
    for (let k = 1; this.used.has(name); k++) name = `${clean}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Add a float32 initializer (stored as raw little-endian bytes). Returns its name. */
  floatConst(base: string, data: Float32Array, dims: number[]): string {
    const count = dims.reduce((p, d) => p * d, 1);
    if (count !== data.length) {
      throw new Error(`initializer ${base}: ${data.length} values do not fill shape [${dims.join(', ')}]`);
    }
    const name = this.uniqueName(base);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    this.initializers.push({ name, dims, dataType: OnnxDataType.FLOAT, rawData: bytes });
    return name;
  }

  /** Add an int64 initializer (shapes, axes, pads). Returns its name. */
  int64Const(base: string, values: number[], dims: number[] = [values.length]): string {
    const name = this.uniqueName(base);
    const buf = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims,
      dataType: OnnxDataType.INT64,
      rawData: new Uint8Array(buf.buffer.slice(0)),
    });
    return name;
  }

  /** Add a node; returns the names of its outputs (fresh names derived from `base`). */
  node(
    opType: string,
    inputs: string[],
    base: string,
    attrs: Record<string, AttributeValue> = {},
    outputCount = 1,
  ): string[] {
    const outputs = Array.from({ length: outputCount }, (_, k) => this.uniqueName(outputCount === 1 ? base : `${base}_out${k}`));
    this.nodes.push({
      input: inputs,
      output: outputs,
      name: this.uniqueName(`${base}_${opType}`),
      opType,
      attribute: Object.entries(attrs).map(([n, a]) => toAttribute(n, a)),
    });
    return outputs;
  }

  /** A node writing to given (existing) output names, returned but not added to the graph. */
  nodeDetached(opType: string, inputs: string[], outputs: string[], base: string, attrs: Record<string, AttributeValue> = {}): OnnxNode {
    return { input: inputs, output: outputs, name: this.uniqueName(`${base}_${opType}`), opType, attribute: Object.entries(attrs).map(([n, a]) => toAttribute(n, a)) };
  }

  /** Single-output node helper. */
  node1(opType: string, inputs: string[], base: string, attrs: Record<string, AttributeValue> = {}): string {
    return this.node(opType, inputs, base, attrs, 1)[0] as string;
  }

  /** Bring `v` into `layout`, inserting (and caching) a Transpose if needed. */
  toLayout(v: GraphValue, layout: Layout): GraphValue {
    if (v.rank <= 2 || v.layout === layout) return { ...v, layout: v.rank <= 2 ? 'last' : v.layout };
    const key = `${v.name}->${layout}`;
    const cached = this.transposeCache.get(key);
    if (cached) return cached;
    const perm = this.permFor(v, layoutPerm(v.rank, layout));
    const name = this.node1('Transpose', [v.name], `${v.name}_${layout === 'first' ? 'nchw' : 'nhwc'}`, {
      perm: attr.ints(perm),
    });
    const out: GraphValue = { name, rank: v.rank, layout };
    this.transposeCache.set(key, out);
    return out;
  }

  toLast(v: GraphValue): GraphValue {
    return this.toLayout(v, 'last');
  }

  toFirst(v: GraphValue): GraphValue {
    return this.toLayout(v, 'first');
  }

  /**
   * ONNX Transpose perm that turns the ONNX tensor of `v` into a tensor whose axis j holds tfjs
   * axis tfOrder[j].
   */
  permFor(v: GraphValue, tfOrder: number[]): number[] {
    const current = layoutPerm(v.rank, v.layout);
    return tfOrder.map((tfAxis) => current.indexOf(tfAxis));
  }

  /** Graph input (float32) with tfjs shape (null = dynamic). */
  addInput(name: string, shape: Array<number | null>): GraphValue {
    this.used.add(name);
    this.inputs.push(valueInfo(name, shape));
    return { name, rank: shape.length, layout: 'last' };
  }

  /** Reserve a name (graph output) so no intermediate value takes it. */
  reserve(name: string): void {
    if (this.used.has(name)) throw new Error(`ONNX export: name '${name}' is already used`);
    this.used.add(name);
  }

  /** Mark `v` (converted to tfjs axis order) as a graph output called `name` (reserved earlier). */
  addOutput(v: GraphValue, name: string, shape: Array<number | null>): void {
    const last = this.toLast(v);
    const outName = name;
    this.nodes.push({
      input: [last.name],
      output: [outName],
      name: this.uniqueName(`${outName}_Identity`),
      opType: 'Identity',
      attribute: [],
    });
    this.outputs.push(valueInfo(outName, shape));
  }
}

function valueInfo(name: string, shape: Array<number | null>): OnnxValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType: OnnxDataType.FLOAT,
        shape: {
          dim: shape.map((d, i) => (d == null ? { dimParam: i === 0 ? 'batch' : `d${i}` } : { dimValue: d })),
        },
      },
    },
  };
}
