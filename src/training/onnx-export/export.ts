/**
 * tfjs LayersModel -> ONNX ModelProto (opset 13). Walks the model's node graph (Sequential,
 * functional, nested models) in dependency order and converts each layer call with the converter
 * registered for its class. Graph input/output keep tfjs (channels-last) axis order; inside,
 * convolutional stretches run channels-first with transposes only at the boundaries.
 */
import { writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { GraphBuilder, type GraphValue } from '../../inference/onnx/graph-builder.js';
import { CORE_CONVERTERS, type LayerCall, type LayerConverter, type Shape } from './layer-converters.js';
import { encodeOnnxModel } from '../../inference/onnx/onnx-proto.js';
import { RECURRENT_CONVERTERS } from './recurrent-converters.js';

export const ONNX_OPSET = 13;
const ONNX_IR_VERSION = 7; // the IR version that goes with opset 13

/** Layers whose inner layer acts on the last axis only, so TimeDistributed(inner) = inner on rank 3. */
const TIME_DISTRIBUTABLE = new Set(['Dense', 'Activation', 'Dropout', 'LeakyReLU', 'ReLU', 'ELU', 'Softmax']);

const timeDistributed: LayerConverter = (call) => {
  const inner = (call.layer as unknown as { layer?: tf.layers.Layer }).layer;
  if (!inner) throw new Error(`ONNX export: '${call.layer.name}': TimeDistributed without an inner layer`);
  const cls = inner.getClassName();
  const convert = CONVERTERS[cls];
  if (!TIME_DISTRIBUTABLE.has(cls) || !convert) {
    throw new Error(`ONNX export: '${call.layer.name}': TimeDistributed(${cls}) is not supported (only ${[...TIME_DISTRIBUTABLE].join(', ')})`);
  }
  return convert({ ...call, layer: inner, config: inner.getConfig() as Record<string, unknown> });
};

const CONVERTERS: Record<string, LayerConverter> = {
  ...CORE_CONVERTERS,
  ...RECURRENT_CONVERTERS,
  TimeDistributed: timeDistributed,
};

/** tfjs layer class names the exporter converts. */
export function supportedLayerClasses(): string[] {
  return ['InputLayer', ...Object.keys(CONVERTERS), 'Sequential', 'Model'].sort();
}

interface SymbolicTensorLike {
  id: number;
  shape: Shape;
}
interface NodeLike {
  outboundLayer: tf.layers.Layer;
  inputTensors: SymbolicTensorLike[];
  outputTensors: SymbolicTensorLike[];
}
interface ContainerLike {
  nodesByDepth: Record<string, NodeLike[]>;
  inputs: SymbolicTensorLike[];
  outputs: SymbolicTensorLike[];
}

function isContainer(layer: unknown): layer is tf.LayersModel & ContainerLike {
  return layer instanceof tf.LayersModel;
}

/** Sequential models build their node graph lazily; make sure it exists. */
function ensureBuilt(model: ContainerLike): void {
  const seqModel = model as unknown as { model?: unknown; build?: () => void };
  if (model instanceof tf.Sequential && seqModel.model == null) seqModel.build?.();
}

function convertContainer(g: GraphBuilder, model: ContainerLike, values: Map<number, GraphValue>): void {
  ensureBuilt(model);
  if (!model.nodesByDepth) throw new Error('ONNX export: model is not built (call model.predict once or give an input shape)');
  const depths = Object.keys(model.nodesByDepth)
    .map(Number)
    .sort((a, b) => b - a);
  for (const depth of depths) {
    for (const node of model.nodesByDepth[String(depth)] ?? []) {
      const layer = node.outboundLayer;
      const cls = layer.getClassName();
      if (cls === 'InputLayer') continue;
      const inputs = node.inputTensors.map((t) => {
        const v = values.get(t.id);
        if (!v) throw new Error(`ONNX export: input of layer '${layer.name}' was not produced before it`);
        return v;
      });
      let outputs: GraphValue[];
      if (isContainer(layer)) {
        const inner = layer as unknown as ContainerLike;
        inner.inputs.forEach((t, i) => {
          const v = inputs[i];
          if (!v) throw new Error(`ONNX export: nested model '${layer.name}' is missing input ${i}`);
          values.set(t.id, v);
        });
        convertContainer(g, inner, values);
        outputs = inner.outputs.map((t) => {
          const v = values.get(t.id);
          if (!v) throw new Error(`ONNX export: nested model '${layer.name}' did not produce its output`);
          return v;
        });
      } else {
        const convert = CONVERTERS[cls];
        if (!convert) {
          throw new Error(`ONNX export: layer '${layer.name}' of class ${cls} is not supported (supported: ${Object.keys(CONVERTERS).join(', ')})`);
        }
        const call: LayerCall = {
          g,
          layer,
          config: layer.getConfig() as Record<string, unknown>,
          inputs,
          inputShapes: node.inputTensors.map((t) => t.shape),
          outputShapes: node.outputTensors.map((t) => t.shape),
          base: layer.name,
        };
        outputs = convert(call);
      }
      if (outputs.length !== node.outputTensors.length) {
        throw new Error(`ONNX export: layer '${layer.name}' gave ${outputs.length} outputs, tfjs has ${node.outputTensors.length}`);
      }
      node.outputTensors.forEach((t, i) => values.set(t.id, outputs[i] as GraphValue));
    }
  }
}

export interface OnnxExportOptions {
  /** Graph name and producer metadata. */
  graphName?: string;
  docString?: string;
}

/** Convert a tfjs LayersModel (Sequential or functional) to ONNX ModelProto bytes. */
export function exportToOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): Uint8Array {
  if (!(model instanceof tf.LayersModel)) throw new Error('exportToOnnx: expected a tf.LayersModel');
  const container = model as unknown as ContainerLike;
  if (!container.inputs?.length || !container.outputs?.length) {
    throw new Error('exportToOnnx: model has no inputs/outputs (build it with an inputShape first)');
  }
  ensureBuilt(container);
  const g = new GraphBuilder();
  const values = new Map<number, GraphValue>();
  container.inputs.forEach((t, i) => values.set(t.id, g.addInput(model.inputNames[i] ?? `input_${i}`, t.shape)));
  const outputNames = container.outputs.map((_, i) => model.outputNames[i] ?? `output_${i}`);
  outputNames.forEach((n) => g.reserve(n));
  convertContainer(g, container, values);
  container.outputs.forEach((t, i) => {
    const v = values.get(t.id);
    if (!v) throw new Error(`exportToOnnx: output ${i} was not produced`);
    g.addOutput(v, outputNames[i] as string, t.shape);
  });
  return encodeOnnxModel({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'streamlens',
    producerVersion: '0.1.0',
    docString: options.docString,
    graph: {
      name: options.graphName ?? model.name,
      node: g.nodes,
      initializer: g.initializers,
      input: g.inputs,
      output: g.outputs,
    },
  });
}

/** Export `model` and write the .onnx file to `path`. Returns the byte size written. */
export async function saveOnnx(model: tf.LayersModel, path: string, options: OnnxExportOptions = {}): Promise<number> {
  const bytes = exportToOnnx(model, options);
  await writeFile(path, bytes);
  return bytes.byteLength;
}
