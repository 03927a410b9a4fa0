/**
 * `npm run bench -- inference`: for every shipped tensor model, batch-1 latency p50/p99 and
 * throughput at batch 1, 8 and 32, on onnxruntime-node (CPU, one intra-op thread = one core) and
 * on tfjs wasm (when the version ships its tfjs graph), measured in one run. Prints JSON.
 * Where onnxruntime serves a rewritten graph (src/inference/onnx/), the graph as stored is timed too;
 * where a version is an earlier one plus out-of-distribution gates (training.baseVersion), the base
 * version's cascade is timed too, on the same photos. BENCH_MODELS=animal,emotion times only those.
 */
import { dirname, join } from 'node:path';
import { listModels, listVersions, modelsRoot, readVersion } from '../src/models/model-repository.js';
import { createOnnxSession } from '../src/inference/onnx-session.js';
import type { InferenceSession } from '../src/inference/session.js';
import { createTfjsSession } from '../src/inference/tfjs-session.js';
import type { ModelManifest } from '../src/models/manifest.js';
import * as tf from '@tensorflow/tfjs';
import { runIfExecutedDirectly } from './run-directly.js';
import { existsSync } from 'node:fs';
import { CascadeSession } from '../src/inference/cascade-session.js';
import { dataRoot } from '../src/core/paths.js';
import { listImageDataset, recordedTestSplit } from '../src/ingest/image-dataset.js';
import { parseImageFeatureSettings } from '../src/features/image/settings.js';
import { preprocessImage } from '../src/features/image/preprocess.js';

const BATCHES = [1, 8, 32];

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))];
}

/** Inputs to time: `pool` items are cycled through (real photos for image models when the data is there), else random values. */
function batchSource(itemShape: number[], pool?: Float32Array[]): (b: number) => Float32Array {
  const itemSize = itemShape.reduce((a, b) => a * b, 1);
  let next = 0;
  return (b) => {
    if (!pool) return Float32Array.from({ length: itemSize * b }, () => Math.random() - 0.5);
    const x = new Float32Array(itemSize * b);
    for (let i = 0; i < b; i++) x.set(pool[next++ % pool.length], i * itemSize);
    return x;
  };
}

async function measure(session: InferenceSession, itemShape: number[], budgetMs: number, pool?: Float32Array[]) {
  const source = batchSource(itemShape, pool);
  const out: Record<string, unknown> = { runtime: session.runtime, graphRewrite: session.graphRewrite ?? null, input: pool ? `${pool.length} held-out photos, cycled` : 'random values' };
  // Latency at batch 1 (over the pool's items in turn: a cascade's cost depends on the item).
  const ones = Array.from({ length: pool?.length ?? 1 }, () => source(1));
  for (let i = 0; i < 5; i++) await session.run(ones[i % ones.length], [1, ...itemShape]);
  const lat: number[] = [];
  const t0 = performance.now();
  while ((performance.now() - t0 < budgetMs || lat.length < ones.length) && lat.length < 2000) {
    const x1 = ones[lat.length % ones.length];
    const s = performance.now();
    await session.run(x1, [1, ...itemShape]);
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  out.batch1LatencyMs = { p50: round(quantile(lat, 0.5)), p90: round(quantile(lat, 0.9)), p99: round(quantile(lat, 0.99)), mean: round(lat.reduce((a, b) => a + b, 0) / lat.length), runs: lat.length };
  const throughput: Record<string, number> = {};
  for (const b of BATCHES) {
    // Rotate over batches that together hold every pool item at least once.
    const xs = Array.from({ length: pool ? Math.ceil(pool.length / b) : 1 }, () => source(b));
    await session.run(xs[0], [b, ...itemShape]);
    let items = 0;
    const s = performance.now();
    for (let k = 0; performance.now() - s < budgetMs / 2 || items < b * 3 || k < xs.length; k++) {
      await session.run(xs[k % xs.length], [b, ...itemShape]);
      items += b;
    }
    throughput[`batch${b}`] = Math.round((items * 1000) / (performance.now() - s));
  }
  out.itemsPerSec = throughput;
  out.batchingGain = round(throughput.batch32 / throughput.batch1);
  if (session instanceof CascadeSession) out.escalated = round(session.counts.escalated / Math.max(1, session.counts.items));
  return out;
}

/** The model's architecture rebuilt in tfjs, for timing the wasm runtime on the same layers. */
async function architectureTwin(manifest: ModelManifest, itemShape: number[]): Promise<tf.LayersModel | undefined> {
  const training = manifest.training as { model?: string; width?: number; depth?: number };
  if (manifest.task === 'audio-emotion' || manifest.task === 'audio-gender') {
    const { buildSpeechModel } = await import('../src/training/speech/models.js');
    return buildSpeechModel((training.model ?? 'cnn') as 'cnn', { frames: itemShape[0], features: itemShape[1], classes: manifest.labels.length, seed: 1, width: training.width, depth: training.depth });
  }
  if (manifest.task === 'image-animal') {
    const { loadDarknetTiny, darknetFeatureModel } = await import('../src/training/image/darknet-backbone.js');
    const features = darknetFeatureModel(await loadDarknetTiny(undefined, itemShape[0]));
    const pooled = features.outputs[0];
    const head = tf.layers.dense({ units: manifest.labels.length, activation: 'softmax' }).apply(pooled) as tf.SymbolicTensor;
    return tf.model({ inputs: features.inputs, outputs: head });
  }
  return undefined;
}

/** Up to 64 photos of the model's held-out test split (prepared as served), or undefined without the data set. */
async function heldOutPhotos(manifest: ModelManifest): Promise<Float32Array[] | undefined> {
  const dir = join(dataRoot(), 'animals');
  if (!existsSync(dir)) return undefined;
  const ds = listImageDataset(dir);
  const items = recordedTestSplit(manifest.training, ds.items) ?? ds.items;
  const settings = parseImageFeatureSettings(manifest.features.settings);
  const picked = items.filter((_, i) => i % Math.max(1, Math.floor(items.length / 64)) === 0).slice(0, 64);
  return Promise.all(picked.map(async (it) => (await preprocessImage(it.file, settings)).data));
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export async function run(): Promise<object> {
  const root = modelsRoot();
  const models: Record<string, unknown>[] = [];
  const only = process.env.BENCH_MODELS ? new Set(process.env.BENCH_MODELS.split(',').map((m) => m.trim())) : null;
  for (const name of listModels(root)) {
    if (only && !only.has(name)) continue;
    const version = listVersions(name, root)[0];
    const { manifest, dir } = readVersion(join(root, name, version));
    if (manifest.format !== 'onnx' || !manifest.files.onnx) continue;
    const itemShape = manifest.inputs[0].shape.slice(1);
    const entry: Record<string, unknown> = { model: name, version, inputShape: itemShape, task: manifest.task };
    const pool = manifest.task === 'image-animal' ? await heldOutPhotos(manifest) : undefined;
    const onnx = await createOnnxSession(join(dir, manifest.files.onnx), { intraOpThreads: 1 });
    if (manifest.cascade && manifest.files.fastOnnx) {
      // Served: the cascade. Its cost depends on the photos (how many the fast stage is unsure of), so it
      // is timed on held-out photos; the full model alone is timed on the same photos as the baseline.
      const fast = await createOnnxSession(join(dir, manifest.files.fastOnnx), { intraOpThreads: 1 });
      const cascade = new CascadeSession(fast, onnx, manifest.cascade.threshold);
      entry.onnxruntime = { ...(await measure(cascade, itemShape, 4000, pool)), served: 'cascade', threshold: manifest.cascade.threshold };
      entry.onnxruntimeFullModelOnly = await measure(onnx, itemShape, 2000, pool);
      entry.onnxruntimeFastStageOnly = await measure(fast, itemShape, 2000, pool);
      await cascade.dispose();
      const baseVersion = (manifest.training as { baseVersion?: string }).baseVersion;
      if (baseVersion && listVersions(name, root).includes(baseVersion)) {
        // The same classifier without its gates: what the gates cost, on the same photos.
        const base = readVersion(join(root, name, baseVersion));
        if (base.manifest.cascade && base.manifest.files.fastOnnx && base.manifest.files.onnx) {
          const b = new CascadeSession(
            await createOnnxSession(join(base.dir, base.manifest.files.fastOnnx), { intraOpThreads: 1 }),
            await createOnnxSession(join(base.dir, base.manifest.files.onnx), { intraOpThreads: 1 }),
            base.manifest.cascade.threshold,
          );
          entry.onnxruntimeBaseVersion = { version: baseVersion, ...(await measure(b, itemShape, 4000, pool)) };
          await b.dispose();
        }
      }
    } else {
      entry.onnxruntime = await measure(onnx, itemShape, 2000, pool);
      await onnx.dispose();
      if (onnx.graphRewrite) {
        // Baseline in the same run: the graph as stored, without the serving-graph rewrite.
        const stored = await createOnnxSession(join(dir, manifest.files.onnx), { intraOpThreads: 1, rewrite: false });
        entry.onnxruntimeGraphAsStored = await measure(stored, itemShape, 2000, pool);
        await stored.dispose();
      }
    }
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
