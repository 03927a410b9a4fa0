/**
 * `npm run bench -- inference`: for every shipped tensor model, batch-1 latency p50/p99 and
 * throughput at batch 1, 8 and 32, on onnxruntime-node (CPU, one intra-op thread = one core) and
 * on tfjs wasm (when the version ships its tfjs graph), measured in one run. Prints JSON.
 */
import { dirname, join } from 'node:path';
import { listModels, listVersions, modelsRoot, readVersion } from '../src/inference/model-repository.js';
import { createOnnxSession } from '../src/inference/onnx-session.js';
import type { InferenceSession } from '../src/inference/session.js';
import { createTfjsSession } from '../src/inference/tfjs-session.js';
import type { ModelManifest } from '../src/inference/manifest.js';
import * as tf from '@tensorflow/tfjs';
import { runIfExecutedDirectly } from './run-directly.js';

const BATCHES = [1, 8, 32];

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))];
}

async function measure(session: InferenceSession, itemShape: number[], budgetMs: number) {
  const itemSize = itemShape.reduce((a, b) => a * b, 1);
  const out: Record<string, unknown> = { runtime: session.runtime };
  // Latency at batch 1.
  const x1 = Float32Array.from({ length: itemSize }, () => Math.random() - 0.5);
  for (let i = 0; i < 5; i++) await session.run(x1, [1, ...itemShape]);
  const lat: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < budgetMs && lat.length < 2000) {
    const s = performance.now();
    await session.run(x1, [1, ...itemShape]);
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  out.batch1LatencyMs = { p50: round(quantile(lat, 0.5)), p99: round(quantile(lat, 0.99)), runs: lat.length };
  const throughput: Record<string, number> = {};
  for (const b of BATCHES) {
    const x = Float32Array.from({ length: itemSize * b }, () => Math.random() - 0.5);
    await session.run(x, [b, ...itemShape]);
    let items = 0;
    const s = performance.now();
    while (performance.now() - s < budgetMs / 2 || items < b * 3) {
      await session.run(x, [b, ...itemShape]);
      items += b;
    }
    throughput[`batch${b}`] = Math.round((items * 1000) / (performance.now() - s));
  }
  out.itemsPerSec = throughput;
  out.batchingGain = round(throughput.batch32 / throughput.batch1);
  return out;
}

/** The model's architecture rebuilt in tfjs, for timing the wasm runtime on the same layers. */
async function architectureTwin(manifest: ModelManifest, itemShape: number[]): Promise<tf.LayersModel | undefined> {
  const training = manifest.training as { model?: string; width?: number };
  if (manifest.task === 'audio-emotion' || manifest.task === 'audio-gender') {
    const { buildSpeechModel } = await import('../src/training/speech/models.js');
    return buildSpeechModel((training.model ?? 'cnn') as 'cnn', { frames: itemShape[0], features: itemShape[1], classes: manifest.labels.length, seed: 1, width: training.width });
  }
  if (manifest.task === 'image-animal') {
    const { loadDarknetTiny, darknetFeatureModel } = await import('../src/training/image/darknet-backbone.js');
    const features = darknetFeatureModel(await loadDarknetTiny());
    const pooled = features.outputs[0];
    const head = tf.layers.dense({ units: manifest.labels.length, activation: 'softmax' }).apply(pooled) as tf.SymbolicTensor;
    return tf.model({ inputs: features.inputs, outputs: head });
  }
  return undefined;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export async function run(): Promise<object> {
  const root = modelsRoot();
  const models: Record<string, unknown>[] = [];
  for (const name of listModels(root)) {
    const version = listVersions(name, root)[0];
    const { manifest, dir } = readVersion(join(root, name, version));
    if (manifest.format !== 'onnx' || !manifest.files.onnx) continue;
    const itemShape = manifest.inputs[0].shape.slice(1);
    const entry: Record<string, unknown> = { model: name, version, inputShape: itemShape, task: manifest.task };
    const onnx = await createOnnxSession(join(dir, manifest.files.onnx), { intraOpThreads: 1 });
    entry.onnxruntime = await measure(onnx, itemShape, 2000);
    await onnx.dispose();
    if (manifest.files.tfjs) {
      const tfjs = await createTfjsSession(join(dir, dirname(manifest.files.tfjs)));
      entry.tfjsWasm = await measure(tfjs, itemShape, 2000);
      await tfjs.dispose();
    } else {
      // The version ships only its ONNX graph: time the same architecture on tfjs wasm
      // (weights do not change the cost of these layers).
      const twin = await architectureTwin(manifest, itemShape);
      if (twin) {
        const tfjs = await createTfjsSession(twin);
        entry.tfjsWasm = { ...(await measure(tfjs, itemShape, 2000)), note: 'same architecture rebuilt in tfjs (the version ships ONNX only)' };
        await tfjs.dispose();
      } else entry.tfjsWasm = 'no tfjs graph shipped and no builder for this architecture';
    }
    models.push(entry);
  }
  return {
    suite: 'inference',
    machine: { cpus: (await import('node:os')).cpus().length, note: 'one intra-op thread per session (one core)' },
    gpu: process.env.STREAMLENS_EP === 'cuda' ? 'CUDA execution provider requested' : 'none: CPU execution provider',
    models,
  };
}

runIfExecutedDirectly(import.meta.url, run);
