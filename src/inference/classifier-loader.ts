import { dirname, join } from 'node:path';
import { assertReproducible, parseAudioFeatureSettings, type AudioFeatureSettingsInput } from '../features/audio/settings.js';
import { parseImageFeatureSettings } from '../features/image/settings.js';
import { childLogger } from '../core/logger.js';
import { stageMetrics } from '../core/metrics.js';
import type { Classifier } from './classifier-pool.js';
import { featureKeyOf, type FeatureSpec, ModelLoadError } from '../models/manifest.js';
import { CascadeSession } from './cascade-session.js';
import { createOnnxSession } from './onnx-session.js';
import type { InferenceSession } from './session.js';
import { createTfjsSession } from './tfjs-session.js';
import type { ModelVersion } from '../models/model-repository.js';
import { envValue } from '../core/environment.js';

const log = childLogger({ component: 'onnx' });

/** Refuses feature settings this build cannot reproduce (the serving side must compute exactly what training did). */
export function assertFeaturesReproducible(dir: string, features: FeatureSpec): void {
  try {
    if (features.kind === 'audio') assertReproducible(parseAudioFeatureSettings(features.settings as AudioFeatureSettingsInput));
    else if (features.kind === 'image') parseImageFeatureSettings(features.settings);
  } catch (e) {
    throw new ModelLoadError(dir, `feature settings cannot be reproduced: ${(e as Error).message}`);
  }
}

/** Which runtime serves classifiers: onnxruntime-node (default) or tfjs on wasm (`STREAMLENS_RUNTIME=tfjs`, needs nothing native). */
export function servingRuntime(): 'onnx' | 'tfjs' {
  return envValue('STREAMLENS_RUNTIME') ?? 'onnx';
}

/**
 * Loads a classifier version: checks its feature settings, opens an inference session
 * (onnxruntime-node with one intra-op thread per worker by default, `STREAMLENS_ORT_THREADS`
 * overrides; or tfjs wasm when asked and the version ships its tfjs graph), checks the input
 * shape against the manifest, warms it up and verifies the output is a probability vector. A version
 * with a cascade is served as one (CascadeSession) unless `STREAMLENS_CASCADE=off`: then its full model
 * alone (the same answers for the photos the fast stage would escalate, no two-stage tail).
 */
export async function loadClassifier(v: ModelVersion): Promise<Classifier> {
  const m = v.manifest;
  if (m.format !== 'onnx' || !m.files.onnx) throw new ModelLoadError(v.dir, `format ${m.format} is not a tensor classifier`);
  assertFeaturesReproducible(v.dir, m.features);
  const runtime = servingRuntime() === 'tfjs' && m.files.tfjs ? 'tfjs' : 'onnx';
  if (m.cascade && !m.files.fastOnnx) throw new ModelLoadError(v.dir, 'cascade needs files.fastOnnx (the fast model)');
  let session: InferenceSession;
  try {
    const onnxSession = (file: string) =>
      createOnnxSession(join(v.dir, file), {
        intraOpThreads: envValue('STREAMLENS_ORT_THREADS'),
        log: (line) => log.warn(line),
      });
    if (runtime === 'tfjs') session = await createTfjsSession(join(v.dir, dirname(m.files.tfjs!)));
    else if (m.cascade && envValue('STREAMLENS_CASCADE')) {
      const full = await onnxSession(m.files.onnx);
      try {
        const counted = { model: m.name, version: m.version };
        session = new CascadeSession(await onnxSession(m.files.fastOnnx!), full, m.cascade.threshold, (fast, escalated) => {
          stageMetrics.cascadeItems.inc({ ...counted, answered_by: 'fast' }, fast);
          stageMetrics.cascadeItems.inc({ ...counted, answered_by: 'full' }, escalated);
        });
      } catch (e) {
        await full.dispose();
        throw e;
      }
    } else session = await onnxSession(m.files.onnx);
  } catch (e) {
    throw new ModelLoadError(v.dir, (e as Error).message);
  }
  const itemShape = m.inputs[0].shape.slice(1);
  if (itemShape.some((d) => d < 0)) throw new ModelLoadError(v.dir, `input shape [${m.inputs[0].shape}] must be fixed except the batch`);
  const itemSize = itemShape.reduce((a, b) => a * b, 1);
  const nLabels = m.labels.length;
  const norm = m.features.kind === 'audio' ? (m.features.normalisation as { mean?: number[]; std?: number[] } | undefined) : undefined;
  const lastDim = itemShape[itemShape.length - 1];
  if (norm && (norm.mean?.length !== lastDim || norm.std?.length !== lastDim)) {
    throw new ModelLoadError(v.dir, `features.normalisation needs mean and std of length ${lastDim}`);
  }
  const invStd = norm?.std?.map((s) => (s > 0 ? 1 / s : 1));

  const run = async (items: Float32Array[]): Promise<Float32Array[]> => {
    const n = items.length;
    const input = new Float32Array(n * itemSize);
    for (let i = 0; i < n; i++) {
      const x = items[i];
      if (x.length !== itemSize) throw new Error(`input has ${x.length} values, model ${m.name} v${m.version} needs ${itemSize}`);
      if (norm) {
        const off = i * itemSize;
        for (let j = 0; j < itemSize; j++) {
          const c = j % lastDim;
          input[off + j] = (x[j] - norm.mean![c]) * invStd![c];
        }
      } else input.set(x, i * itemSize);
    }
    const out = await session.run(input, [n, ...itemShape]);
    if (out.data.length !== n * nLabels) throw new Error(`model ${m.name} v${m.version} returned ${out.data.length} values for ${n} x ${nLabels} labels`);
    return Array.from({ length: n }, (_, i) => out.data.slice(i * nLabels, (i + 1) * nLabels));
  };

  // Warm-up, and a check that the output is a probability vector per label.
  let warm: Float32Array[];
  try {
    warm = await run([new Float32Array(itemSize)]);
  } catch (e) {
    await session.dispose();
    throw new ModelLoadError(v.dir, `warm-up failed (input shape [${m.inputs[0].shape}] does not fit the graph?): ${(e as Error).message}`);
  }
  const sum = warm[0].reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-3 || warm[0].some((p) => p < 0)) {
    await session.dispose();
    throw new ModelLoadError(v.dir, `outputs[0] must be class probabilities over ${nLabels} labels (end the graph with softmax); warm-up sums to ${sum}`);
  }
  log.info({ model: m.name, version: m.version, runtime: session.runtime, graphRewrite: session.graphRewrite ?? null }, 'model loaded');
  const maxBatch = m.maxBatchSize ?? Infinity;
  const predict = async (items: Float32Array[]): Promise<Float32Array[]> => {
    if (items.length <= maxBatch) return run(items);
    const out: Float32Array[] = [];
    for (let i = 0; i < items.length; i += maxBatch) out.push(...(await run(items.slice(i, i + maxBatch))));
    return out;
  };
  return {
    version: v,
    featureKey: featureKeyOf(m.features),
    predict,
    close: () => session.dispose(),
  };
}
