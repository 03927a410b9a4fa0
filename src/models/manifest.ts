import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * A model version's manifest (models/<name>/<version>/manifest.json), after Triton's model
 * repository: what goes in, what comes out, the labels, and the exact feature settings the
 * model was trained with, so the serving side can refuse what it cannot reproduce.
 */
export const tensorSpec = z.object({
  name: z.string().min(1),
  /** -1 (or null) marks a dynamic dimension, e.g. the batch. */
  shape: z.array(z.number().int().min(-1)),
  dtype: z.enum(['float32', 'int64', 'int32']).default('float32'),
});
export type TensorSpec = z.infer<typeof tensorSpec>;

export const modelTask = z.enum(['audio-emotion', 'audio-gender', 'image-animal', 'course-subject', 'course-popularity', 'course-subscribers', 'course']);
export type ModelTask = z.infer<typeof modelTask>;

/** How each input kind is turned into the model's tensor. The settings object is owned by the feature code. */
export const featureSpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('audio'), settings: z.record(z.string(), z.unknown()), normalisation: z.record(z.string(), z.unknown()).optional() }),
  z.object({ kind: z.literal('image'), settings: z.record(z.string(), z.unknown()) }),
  z.object({ kind: z.literal('course'), settings: z.record(z.string(), z.unknown()) }),
]);
export type FeatureSpec = z.infer<typeof featureSpec>;

export const manifestSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, "-" and "_"'),
  version: z.string().regex(/^\d+$/, 'a positive integer'),
  task: modelTask,
  /** Which runtime file(s) the version holds: "onnx" (served by onnxruntime-node, tfjs fallback),
   *  or "json" (compact TypeScript models, e.g. the course models). */
  format: z.enum(['onnx', 'json']),
  /** Relative file names inside the version folder. */
  files: z.object({
    onnx: z.string().optional(),
    /** The cascade's fast model (see `cascade`): same input and output as `onnx`. */
    fastOnnx: z.string().optional(),
    tfjs: z.string().optional(),
    json: z.string().optional(),
    report: z.string().optional(),
    /** Training reference for drift monitoring (src/monitoring/reference.ts), hashed like the model files. */
    reference: z.string().optional(),
  }),
  labels: z.array(z.string()).min(1),
  inputs: z.array(tensorSpec).min(1),
  outputs: z.array(tensorSpec).min(1),
  features: featureSpec,
  /** Below this top-class probability the answer is "unknown" (calibrated on validation data). */
  unknownThreshold: z.number().min(0).max(1).optional(),
  /**
   * Two-stage serving: `files.fastOnnx` (a cheap model over the same input) answers every item whose
   * top probability reaches `threshold`; the other items are run through the full model (`files.onnx`).
   * The threshold is calibrated on validation data (see the training summary in `training.cascade`).
   */
  cascade: z.object({ threshold: z.number().gt(0).max(1) }).strict().optional(),
  /**
   * The largest batch the model is run on (Triton's max_batch_size): the server's micro-batches and
   * every predict call are cut to it. For a compute-bound model batching past it only adds waiting.
   */
  maxBatchSize: z.number().int().min(1).optional(),
  training: z.record(z.string(), z.unknown()).default({}),
  metrics: z.record(z.string(), z.unknown()).default({}),
  created: z.string(),
  /** sha256 of every file listed in `files`, keyed by the file name. */
  sha256: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
});
export type ModelManifest = z.infer<typeof manifestSchema>;

export class ModelLoadError extends Error {
  constructor(
    readonly modelDir: string,
    message: string,
  ) {
    super(`model ${modelDir}: ${message}`);
    this.name = 'ModelLoadError';
  }
}

export function parseManifest(dir: string, raw: unknown): ModelManifest {
  const r = manifestSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ModelLoadError(dir, `manifest.json: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return r.data;
}

/** Stable key of a model's feature settings; windows/tensors carry it so a model never scores inputs made for another. */
export function featureKeyOf(features: FeatureSpec): string {
  return createHash('sha256').update(stableJson({ kind: features.kind, settings: features.settings })).digest('hex').slice(0, 16);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
