export { exportToOnnx, saveOnnx, supportedLayerClasses, ONNX_OPSET } from './export.js';
export type { OnnxExportOptions } from './export.js';
export { decodeOnnxModel } from '../../inference/onnx/onnx-proto.js';
