import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOnnxModel, exportToOnnx } from '../../src/training/onnx-export/index.js';
import { seededInitializers } from '../../src/training/seeding.js';
import { onnxParity, randomizeWeights, seededInput } from './parity-helpers.js';

const TOLERANCE = 1e-4;

type Case = { name: string; build: () => tf.LayersModel; input: number[]; lo?: number; hi?: number };

const L = tf.layers;

function seq(inputShape: number[], layers: tf.layers.Layer[]): tf.LayersModel {
  return tf.sequential({ layers: [L.inputLayer({ inputShape }), ...layers] });
}

const init = seededInitializers(7);

const ACTIVATIONS = [
  'relu', 'sigmoid', 'tanh', 'softmax', 'linear', 'elu', 'selu', 'softplus', 'softsign',
  'hardSigmoid', 'relu6', 'swish', 'mish', 'gelu', 'gelu_new', 'logSoftmax',
] as const;

const CASES: Case[] = [
  { name: 'Dense relu -> Dense softmax', input: [3, 6], build: () => seq([6], [L.dense({ units: 5, activation: 'relu', ...init.dense() }), L.dense({ units: 4, activation: 'softmax' })]) },
  { name: 'Dense without bias on rank 3 (MatMul path)', input: [2, 4, 6], build: () => seq([4, 6], [L.dense({ units: 3, useBias: false })]) },
  { name: 'Conv2D valid s1 relu + bias', input: [2, 7, 6, 3], build: () => seq([7, 6, 3], [L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' })]) },
  { name: 'Conv2D same s2 odd size', input: [2, 9, 7, 3], build: () => seq([9, 7, 3], [L.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' })]) },
  { name: 'Conv2D same dilation 2', input: [1, 9, 8, 2], build: () => seq([9, 8, 2], [L.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same' })]) },
  { name: 'Conv2D kernel [2,3] strides [2,1] valid tanh', input: [2, 8, 7, 3], build: () => seq([8, 7, 3], [L.conv2d({ filters: 4, kernelSize: [2, 3], strides: [2, 1], activation: 'tanh' })]) },
  { name: 'Conv2D softmax activation over channels', input: [1, 5, 5, 2], build: () => seq([5, 5, 2], [L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'softmax' })]) },
  { name: 'Conv1D same / valid s2 / same dilation 2', input: [2, 12, 3], build: () => seq([12, 3], [L.conv1d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }), L.conv1d({ filters: 5, kernelSize: 3, strides: 2 }), L.conv1d({ filters: 3, kernelSize: 2, padding: 'same', dilationRate: 2 })]) },
  { name: 'DepthwiseConv2D mult 2 same s2', input: [2, 7, 7, 3], build: () => seq([7, 7, 3], [L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', activation: 'relu' })]) },
  { name: 'SeparableConv2D', input: [1, 8, 8, 3], build: () => seq([8, 8, 3], [L.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2, padding: 'same' })]) },
  { name: 'BatchNormalization after Conv2D (channels-first) and Dense (rank 2)', input: [2, 6, 6, 3], build: () => seq([6, 6, 3], [L.conv2d({ filters: 4, kernelSize: 3, useBias: false }), L.batchNormalization({ epsilon: 1e-3 }), L.flatten(), L.dense({ units: 5 }), L.batchNormalization({})]) },
  { name: 'BatchNormalization on [N,T,F] (channels-last path)', input: [2, 5, 4], build: () => seq([5, 4], [L.batchNormalization({ center: false })]) },
  { name: 'MaxPooling2D valid + same (odd sizes)', input: [2, 9, 7, 3], build: () => seq([9, 7, 3], [L.maxPooling2d({ poolSize: 2 }), L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' })]) },
  { name: 'AveragePooling2D same (pads excluded) + valid', input: [2, 7, 9, 2], build: () => seq([7, 9, 2], [L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), L.averagePooling2d({ poolSize: 2, padding: 'valid' })]) },
  { name: 'MaxPooling1D + AveragePooling1D', input: [2, 11, 3], build: () => seq([11, 3], [L.maxPooling1d({ poolSize: 2, padding: 'same' }), L.averagePooling1d({ poolSize: 3, strides: 1 })]) },
  { name: 'GlobalAveragePooling2D after conv', input: [2, 6, 5, 3], build: () => seq([6, 5, 3], [L.conv2d({ filters: 4, kernelSize: 3 }), L.globalAveragePooling2d({})]) },
  { name: 'GlobalMaxPooling2D on raw input', input: [2, 6, 5, 3], build: () => seq([6, 5, 3], [L.globalMaxPooling2d({})]) },
  { name: 'GlobalAveragePooling1D + GlobalMaxPooling1D', input: [2, 9, 3], build: () => {
    const inp = tf.input({ shape: [9, 3] });
    const c = L.conv1d({ filters: 4, kernelSize: 3 }).apply(inp) as tf.SymbolicTensor;
    const a = L.globalAveragePooling1d({}).apply(c) as tf.SymbolicTensor;
    const m = L.globalMaxPooling1d({}).apply(inp) as tf.SymbolicTensor;
    return tf.model({ inputs: inp, outputs: L.concatenate().apply([a, m]) as tf.SymbolicTensor });
  } },
  { name: 'Flatten after conv keeps NHWC order', input: [2, 5, 4, 3], build: () => seq([5, 4, 3], [L.conv2d({ filters: 3, kernelSize: 2 }), L.flatten(), L.dense({ units: 3 })]) },
  { name: 'Reshape + Permute', input: [2, 4, 6], build: () => seq([4, 6], [L.reshape({ targetShape: [3, 8] }), L.permute({ dims: [2, 1] }), L.dense({ units: 2 })]) },
  { name: 'Reshape to image + Conv2D', input: [2, 48], build: () => seq([48], [L.reshape({ targetShape: [4, 4, 3] }), L.conv2d({ filters: 2, kernelSize: 2 })]) },
  { name: 'Dropout is identity', input: [3, 5], build: () => seq([5], [L.dropout({ rate: 0.5 }), L.dense({ units: 2 })]) },
  ...ACTIVATIONS.map((act): Case => ({ name: `Activation ${act}`, input: [3, 4, 5], lo: -3, hi: 3, build: () => seq([4, 5], [L.activation({ activation: act as Parameters<typeof L.activation>[0]['activation'] })]) })),
  { name: 'LeakyReLU / ReLU(maxValue) / ELU / ThresholdedReLU / Softmax layers', input: [2, 4, 5], lo: -3, hi: 3, build: () => seq([4, 5], [L.leakyReLU({ alpha: 0.1 }), L.reLU({ maxValue: 1.5 }), L.elu({}), L.thresholdedReLU({ theta: 0.2 }), L.softmax({ axis: -1 })]) },
  { name: 'PReLU after conv (channels-first slope)', input: [2, 5, 5, 2], lo: -2, hi: 2, build: () => seq([5, 5, 2], [L.conv2d({ filters: 3, kernelSize: 2 }), L.prelu({})]) },
  { name: 'ZeroPadding2D + Cropping2D + UpSampling2D', input: [1, 5, 4, 2], build: () => seq([5, 4, 2], [L.conv2d({ filters: 3, kernelSize: 1 }), L.zeroPadding2d({ padding: [[1, 2], [0, 3]] }), L.cropping2D({ cropping: [[1, 0], [2, 1]] }), L.upSampling2d({ size: [2, 3] })]) },
  { name: 'Functional Add + Concatenate + Multiply/Average/Maximum/Minimum', input: [2, 6, 6, 3], build: () => {
    const inp = tf.input({ shape: [6, 6, 3] });
    const a = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(inp) as tf.SymbolicTensor;
    const b = L.conv2d({ filters: 4, kernelSize: 1 }).apply(inp) as tf.SymbolicTensor;
    const sum = L.add().apply([a, b]) as tf.SymbolicTensor;
    const prod = L.multiply().apply([a, b]) as tf.SymbolicTensor;
    const avg = L.average().apply([sum, prod]) as tf.SymbolicTensor;
    const mx = L.maximum().apply([avg, b]) as tf.SymbolicTensor;
    const mn = L.minimum().apply([mx, a]) as tf.SymbolicTensor;
    const cat = L.concatenate({ axis: -1 }).apply([mn, inp]) as tf.SymbolicTensor; // inp is channels-last: mixed layouts
    const pooled = L.globalAveragePooling2d({}).apply(cat) as tf.SymbolicTensor;
    return tf.model({ inputs: inp, outputs: L.dense({ units: 3, activation: 'softmax' }).apply(pooled) as tf.SymbolicTensor });
  } },
  { name: 'LSTM return_sequences true -> LSTM false (hardSigmoid default)', input: [2, 5, 3], build: () => seq([5, 3], [L.lstm({ units: 4, returnSequences: true, ...init.recurrent() }), L.lstm({ units: 3 })]) },
  { name: 'LSTM sigmoid recurrent activation, no bias', input: [3, 4, 2], build: () => seq([4, 2], [L.lstm({ units: 5, recurrentActivation: 'sigmoid', useBias: false })]) },
  { name: 'LSTM goBackwards return_sequences', input: [2, 6, 3], build: () => seq([6, 3], [L.lstm({ units: 3, goBackwards: true, returnSequences: true })]) },
  { name: 'GRU return_sequences true -> GRU false', input: [2, 5, 3], build: () => seq([5, 3], [L.gru({ units: 4, returnSequences: true }), L.gru({ units: 3, recurrentActivation: 'sigmoid' })]) },
  { name: 'SimpleRNN', input: [2, 5, 3], build: () => seq([5, 3], [L.simpleRNN({ units: 4, returnSequences: true }), L.simpleRNN({ units: 2 })]) },
  { name: 'Bidirectional LSTM concat (sequences) + GRU sum', input: [2, 5, 3], build: () => seq([5, 3], [L.bidirectional({ layer: L.lstm({ units: 3, returnSequences: true }) as tf.RNN, mergeMode: 'concat' }), L.bidirectional({ layer: L.gru({ units: 2 }) as tf.RNN, mergeMode: 'sum' })]) },
  { name: 'Conv1D -> LSTM (channels-first into recurrent)', input: [2, 8, 3], build: () => seq([8, 3], [L.conv1d({ filters: 4, kernelSize: 3 }), L.lstm({ units: 3 })]) },
  { name: 'TimeDistributed(Dense) + RepeatVector', input: [2, 4, 3], build: () => seq([4, 3], [L.timeDistributed({ layer: L.dense({ units: 5, activation: 'tanh' }) }), L.flatten(), L.repeatVector({ n: 2 })]) },
  { name: 'Embedding -> GlobalAveragePooling1D', input: [3, 6], lo: 0, hi: 9.99, build: () => seq([6], [L.embedding({ inputDim: 10, outputDim: 4 }), L.globalAveragePooling1d({})]) },
  { name: 'Nested Sequential inside functional model', input: [2, 6], build: () => {
    const inner = tf.sequential({ layers: [L.dense({ inputShape: [6], units: 5, activation: 'relu' }), L.dense({ units: 4 })] });
    const inp = tf.input({ shape: [6] });
    const h = inner.apply(inp) as tf.SymbolicTensor;
    return tf.model({ inputs: inp, outputs: L.dense({ units: 2 }).apply(h) as tf.SymbolicTensor });
  } },
  { name: 'Small Darknet-like block (Conv/BN/LeakyReLU/MaxPool/GAP)', input: [1, 16, 16, 3], lo: 0, hi: 1, build: () => seq([16, 16, 3], [
    L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }), L.batchNormalization({}), L.leakyReLU({ alpha: 0.1 }), L.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }),
    L.conv2d({ filters: 6, kernelSize: 1, padding: 'same', useBias: true }), L.globalAveragePooling2d({}), L.activation({ activation: 'softmax' }),
  ]) },
];

describe('ONNX export parity (tfjs cpu vs onnxruntime-node)', () => {
  const measured: Array<{ case: string; maxAbsDiff: string }> = [];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  });
  afterAll(() => {
    if (process.env.STREAMLENS_PRINT_PARITY) console.table(measured);
  });

  CASES.forEach((c, i) => {
    it(c.name, async () => {
      const model = c.build();
      randomizeWeights(model, 100 + i);
      const x = seededInput(c.input, 200 + i, c.lo ?? -1, c.hi ?? 1);
      const { maxDiff, tfjsShape, onnxShape, outputSpread } = await onnxParity(model, x);
      measured.push({ case: c.name, maxAbsDiff: maxDiff.toExponential(2) });
      expect(onnxShape).toEqual(tfjsShape);
      expect(outputSpread).toBeGreaterThan(1e-3);
      expect(maxDiff).toBeLessThanOrEqual(TOLERANCE);
      x.dispose();
    });
  });

  it('writes a ModelProto with opset 13, named input/output and dynamic batch', () => {
    const model = seq([4], [L.dense({ units: 2 })]);
    const decoded = decodeOnnxModel(exportToOnnx(model));
    expect(decoded.opsetImport[0]?.version).toBe(13);
    expect(decoded.graph.input[0]?.name).toBe(model.inputNames[0]);
    expect(decoded.graph.output[0]?.name).toBe(model.outputNames[0]);
    expect(decoded.graph.input[0]?.type.tensorType.shape.dim[0]?.dimParam).toBe('batch');
    expect(decoded.graph.input[0]?.type.tensorType.shape.dim[1]?.dimValue).toBe(4);
  });

  it('names the layer class when a layer is not supported', () => {
    const model = seq([5, 5, 2], [L.conv2dTranspose({ filters: 2, kernelSize: 2 })]);
    expect(() => exportToOnnx(model)).toThrow(/Conv2DTranspose/);
  });
});
