/**
 * The ONNX ModelProto (ONNX 1.10 schema) read and written with the `onnx-proto` package's compiled
 * protobufjs classes; this file adds the plain-object shapes the exporter and the serving-graph
 * rewrites use, and the two conversions.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** onnx TensorProto.DataType values used here. */
export const OnnxDataType = {
  FLOAT: onnx.TensorProto.DataType.FLOAT,
  INT32: onnx.TensorProto.DataType.INT32,
  INT64: onnx.TensorProto.DataType.INT64,
  FLOAT16: onnx.TensorProto.DataType.FLOAT16,
} as const;

/** onnx AttributeProto.AttributeType values. */
export const OnnxAttributeType = {
  FLOAT: onnx.AttributeProto.AttributeType.FLOAT,
  INT: onnx.AttributeProto.AttributeType.INT,
  STRING: onnx.AttributeProto.AttributeType.STRING,
  TENSOR: onnx.AttributeProto.AttributeType.TENSOR,
  GRAPH: onnx.AttributeProto.AttributeType.GRAPH,
  FLOATS: onnx.AttributeProto.AttributeType.FLOATS,
  INTS: onnx.AttributeProto.AttributeType.INTS,
  STRINGS: onnx.AttributeProto.AttributeType.STRINGS,
} as const;

// Plain object shapes for the messages we write (camelCase, as protobufjs maps field names).
export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  int64Data?: number[];
}
export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  /** Subgraphs (If, Loop, Scan): never written by the exporter, but present in models it may read. */
  g?: unknown;
  graphs?: unknown[];
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}
export interface OnnxNode {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain?: string;
  attribute: OnnxAttribute[];
}
export interface OnnxDimension {
  dimValue?: number;
  dimParam?: string;
}
export interface OnnxValueInfo {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: OnnxDimension[] } } };
}
export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  docString?: string;
}
export interface OnnxModel {
  irVersion: number;
  opsetImport: Array<{ domain: string; version: number }>;
  producerName: string;
  producerVersion: string;
  graph: OnnxGraph;
  docString?: string;
  metadataProps?: Array<{ key: string; value: string }>;
}

/** Serialise a ModelProto to its binary protobuf form. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const message = onnx.ModelProto.fromObject(model as unknown as Record<string, unknown>);
  return onnx.ModelProto.encode(message).finish();
}

/** Parse a binary ModelProto (for inspection, tests and the serving-graph rewrite). */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  // bytes fields (tensor data, string attributes) stay Uint8Array views of `bytes`.
  return onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, defaults: false }) as unknown as OnnxModel;
}
