import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { featureKeyOf } from '../../src/models/manifest.js';
import { publishVersion, type ModelVersion } from '../../src/models/model-repository.js';
import type { LoadedModel } from '../../src/inference/model-server.js';

/** A tiny linear softmax classifier stored as JSON, used to test serving mechanics without ONNX. */
export function publishLinearModel(root: string, name: string, weights: number[][], version?: string, featureSettings = { dim: 2 }): ModelVersion {
  return publishVersion(
    name,
    {
      task: 'audio-emotion',
      format: 'json',
      files: { json: 'weights.json' },
      labels: weights.map((_, i) => `class${i}`),
      inputs: [{ name: 'x', shape: [-1, weights[0].length], dtype: 'float32' }],
      outputs: [{ name: 'p', shape: [-1, weights.length], dtype: 'float32' }],
      features: { kind: 'audio', settings: featureSettings },
      training: {},
      metrics: {},
    },
    { 'weights.json': Buffer.from(JSON.stringify(weights)) },
    root,
    version,
  );
}

export async function loadLinearModel(v: ModelVersion): Promise<LoadedModel<Float32Array, Float32Array>> {
  const w = JSON.parse(readFileSync(join(v.dir, v.manifest.files.json!), 'utf8')) as number[][];
  return {
    version: v,
    featureKey: featureKeyOf(v.manifest.features),
    async predict(items) {
      return items.map((x) => {
        const logits = w.map((row) => row.reduce((s, wi, i) => s + wi * x[i], 0));
        const max = Math.max(...logits);
        const e = logits.map((l) => Math.exp(l - max));
        const z = e.reduce((a, b) => a + b, 0);
        return Float32Array.from(e.map((v) => v / z));
      });
    },
    async close() {},
  };
}
