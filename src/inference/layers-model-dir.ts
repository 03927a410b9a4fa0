/**
 * Load and save tfjs LayersModels as a folder (model.json + weight shards) in Node without
 * tfjs-node (tfjs core has no file:// handler there): files are read/written here and handed to
 * tfjs through tf.io.fromMemory / tf.io.withSaveHandler.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: tf.io.TrainingConfig;
  userDefinedMetadata?: Record<string, unknown>;
}

/** Read model.json and its weight shards from `dir` as tfjs ModelArtifacts. */
export async function readModelArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const jsonPath = join(dir, 'model.json');
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(jsonPath, 'utf8')) as ModelJson;
  } catch (err) {
    throw new Error(`cannot read tfjs model at ${jsonPath}: ${(err as Error).message}`);
  }
  if (json.modelTopology == null) throw new Error(`${jsonPath} has no modelTopology (not a tfjs LayersModel)`);
  const manifest = json.weightsManifest ?? [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of manifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const shardPath = join(dir, p);
      try {
        buffers.push(await readFile(shardPath));
      } catch (err) {
        throw new Error(`weight shard ${shardPath} listed in ${jsonPath} cannot be read: ${(err as Error).message}`);
      }
    }
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: specs,
    weightData,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
    trainingConfig: json.trainingConfig,
    userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
  };
}

/** tf.loadLayersModel for a model folder on disk (model.json + shards). */
export async function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  const artifacts = await readModelArtifacts(dir);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

/** Save `model` into `dir` as model.json + weights.bin (one shard), readable by loadLayersModelFromDir and tfjs. */
export async function saveLayersModelToDir(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      await mkdir(dir, { recursive: true });
      const weightData = artifacts.weightData;
      const bytes =
        weightData == null
          ? new Uint8Array(0)
          : Array.isArray(weightData)
            ? Buffer.concat(weightData.map((b) => Buffer.from(b)))
            : new Uint8Array(weightData);
      const json: ModelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        trainingConfig: artifacts.trainingConfig,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFile(join(dir, 'weights.bin'), bytes);
      await writeFile(join(dir, 'model.json'), JSON.stringify(json));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: bytes.byteLength,
        },
      };
    }),
  );
}
