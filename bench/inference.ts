/**
 * `npm run bench -- inference`: for every shipped tensor model, batch-1 latency p50/p99 and
 * throughput at batch 1, 8 and 32, on onnxruntime-node (CPU, one intra-op thread = one core) and
 * on tfjs wasm (when the version ships its tfjs graph), measured in one run. Prints JSON.
 */
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { listModels, listVersions, modelsRoot, readVersion } from '../src/inference/model-repository.js';
import { createOnnxSession } from '../src/inference/onnx-session.js';
import type { InferenceSession } from '../src/inference/session.js';
import { createTfjsSession } from '../src/inference/tfjs-session.js';

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
    } else entry.tfjsWasm = 'no tfjs graph shipped with this version';
    models.push(entry);
  }
  return {
    suite: 'inference',
    machine: { cpus: (await import('node:os')).cpus().length, note: 'one intra-op thread per session (one core)' },
    gpu: process.env.STREAMLENS_EP === 'cuda' ? 'CUDA execution provider requested' : 'none: CPU execution provider',
    models,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().then((r) => console.log(JSON.stringify(r, null, 2)));
}
