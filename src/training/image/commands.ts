import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dataRoot, repoRoot } from '../../core/paths.js';
import { loadClassifier } from '../../inference/classifier-loader.js';
import { readVersion, resolveModel, sha256File, type ModelVersion } from '../../models/model-repository.js';
import type { Classifier } from '../../inference/classifier-pool.js';
import { ImageDecodeError, preprocessImage } from '../../features/image/preprocess.js';
import { parseImageFeatureSettings, type ImageFeatureSettings } from '../../features/image/settings.js';
import { listImageFiles } from '../../ingest/image-source.js';
import { summariseClassification, type ClassificationSummary } from './classification-summary.js';
import { listImageDataset, recordedTestSplit, splitDataset } from '../../ingest/image-dataset.js';
import { trainImage, type TrainImageOptions, type TrainImageResult } from './train.js';
import { DEFAULT_MODEL_BY_MEDIA } from '../../core/route.js';
import { decideLabel, UNKNOWN_LABEL } from './decide-label.js';

export { decideLabel, UNKNOWN_LABEL } from './decide-label.js';


/** Which served model: a name in the repository (default 'animal', latest version) or a version folder. */
export interface ImageModelRef {
  /** Model name in the repository, or a path to a version folder holding manifest.json. Default 'animal'. */
  model?: string;
  /** Pin a version of a named model. */
  version?: string;
  /** Model repository root (default models/, STREAMLENS_MODELS). */
  modelsRoot?: string;
}

export interface LoadedImageModel {
  version: ModelVersion;
  classifier: Classifier;
  settings: ImageFeatureSettings;
}

/** Loads an image model exactly as the server does (manifest + sha256 check + onnxruntime session). */
export async function loadImageModel(ref: ImageModelRef = {}): Promise<LoadedImageModel> {
  const m = ref.model ?? DEFAULT_MODEL_BY_MEDIA.video;
  const version = existsSync(join(m, 'manifest.json')) ? readVersion(m) : resolveModel(m, ref.version, ref.modelsRoot);
  if (version.manifest.features.kind !== 'image') throw new Error(`model ${version.dir} is not an image model (features.kind = ${version.manifest.features.kind})`);
  const classifier = await loadClassifier(version);
  return { version, classifier, settings: parseImageFeatureSettings(version.manifest.features.settings) };
}

/** `streamlens train image`: see TrainImageOptions. Prints the summary JSON on stdout. */
export async function trainImageCommand(options: TrainImageOptions): Promise<TrainImageResult> {
  const result = await trainImage(options);
  process.stdout.write(JSON.stringify(result) + '\n');
  return result;
}

export interface EvalImageOptions extends ImageModelRef {
  /** Folder with one sub-folder of images per class (labels must be the model's labels; default <data>/animals). */
  data?: string;
  /** Images scored per onnxruntime call (default 16). */
  batchSize?: number;
  /**
   * 'all' (default): every image in DIR. 'unseen' (alias 'test'): only the images the model was not
   * trained on (not in its training or validation split, by content); see trainingImages.
   */
  subset?: 'all' | 'unseen' | 'test';
  /** Write the JSON to stdout (default true). */
  print?: boolean;
}

export interface EvalImageResult extends ClassificationSummary {
  model: { name: string; version: string };
  data: string;
  subset: 'all' | 'unseen';
  /** Images in the data set folder. */
  items: number;
  /** Of those, images the model was trained (or early-stopped / calibrated) on; null when the manifest does not say. */
  seenItems: number | null;
  warnings: string[];
  /** With the unknown threshold applied: share answered, and accuracy over all images (unknown counts wrong). */
  unknownThreshold: number | null;
  answered: number;
  accuracyWithUnknown: number;
  skipped: Array<{ file: string; error: string }>;
}

/**
 * `streamlens eval image --data DIR`: scores every image through the served ONNX path and prints
 * one JSON object: accuracy, macroF1, per-class precision/recall/F1/support/ROC AUC, labels,
 * confusion, n. Unreadable images are listed in `skipped`, not scored.
 */
export async function evalImage(options: EvalImageOptions = {}): Promise<EvalImageResult> {
  const loaded = await loadImageModel(options);
  const { manifest } = loaded.version;
  const model = `${manifest.name} v${manifest.version}`;
  try {
    const data = resolve(options.data ?? join(dataRoot(), 'animals'));
    const ds = listImageDataset(data);
    const unknown = ds.labels.filter((l) => !manifest.labels.includes(l));
    if (unknown.length) throw new Error(`data set classes ${unknown.join(', ')} are not labels of model ${manifest.name} (${manifest.labels.join(', ')})`);
    const subset = options.subset === 'test' || options.subset === 'unseen' ? 'unseen' : 'all';
    const warnings: string[] = [];
    let items = ds.items;
    let seenItems: number | null = null;
    const seen = trainingImages(manifest.training);
    if (seen) {
      const isSeen = items.map((it) => seen.has(sha256File(it.file)));
      seenItems = isSeen.filter(Boolean).length;
      if (subset === 'unseen') {
        items = items.filter((_, i) => !isSeen[i]);
        if (items.length === 0) throw new Error(`--subset unseen: all ${ds.items.length} images in ${data} were in the training data of model ${model}; give other images`);
      } else if (seenItems > 0) {
        warnings.push(
          `${seenItems} of the ${ds.items.length} images in ${data} were in the training data of model ${model}: these figures overstate accuracy on new images` +
            (seenItems < ds.items.length ? `; --subset unseen evaluates only the other ${ds.items.length - seenItems}` : ''),
        );
      }
    } else {
      warnings.push(`model ${model} does not record which images it was trained on (or its training folder is gone): seenItems is unknown`);
      if (subset === 'unseen') {
        // Fall back to re-making the recorded split on this folder (right when it is the training folder).
        const test = recordedTestSplit(manifest.training, ds.items);
        if (!test) throw new Error(`--subset unseen: model ${model} does not record its split seed: cannot tell which images it never saw`);
        items = test;
        warnings.push(`--subset unseen: the held-out split was re-made on ${data}, which is right only when it is the folder the model was trained on`);
      }
    }
    const yTrue: string[] = [];
    const probs: number[][] = [];
    const skipped: EvalImageResult['skipped'] = [];
    const bs = options.batchSize ?? 16;
    for (let start = 0; start < items.length; start += bs) {
      const chunk = items.slice(start, start + bs);
      const ready: { label: string; data: Float32Array }[] = [];
      for (const it of chunk) {
        try {
          ready.push({ label: it.label, data: (await preprocessImage(it.file, loaded.settings)).data });
        } catch (e) {
          skipped.push({ file: it.file, error: (e as Error).message });
        }
      }
      if (ready.length === 0) continue;
      const out = await loaded.classifier.predict(ready.map((r) => r.data));
      ready.forEach((r, i) => {
        yTrue.push(r.label);
        probs.push(Array.from(out[i]));
      });
    }
    if (yTrue.length === 0) throw new Error(`no readable images in ${data}`);
    const summary = summariseClassification(manifest.labels, yTrue, probs);
    const threshold = manifest.unknownThreshold;
    const decided = probs.map((p) => decideLabel(manifest.labels, p, threshold));
    const result: EvalImageResult = {
      model: { name: manifest.name, version: manifest.version },
      data,
      subset,
      items: ds.items.length,
      seenItems,
      warnings,
      ...summary,
      unknownThreshold: threshold ?? null,
      answered: decided.filter((d) => d !== UNKNOWN_LABEL).length / decided.length,
      accuracyWithUnknown: decided.filter((d, i) => d === yTrue[i]).length / decided.length,
      skipped,
    };
    if (options.print !== false) process.stdout.write(JSON.stringify(result) + '\n');
    return result;
  } finally {
    await loaded.classifier.close();
  }
}

/**
 * Content hashes of the images a model was trained on (its training and validation split, re-made
 * from `training.data` with the recorded seed and fractions); undefined when the manifest does not
 * record them, the folder is gone, or the re-made split does not have the recorded sizes.
 */
export function trainingImages(training: Record<string, unknown>): Set<string> | undefined {
  const split = training.split as { seed?: number; testFraction?: number; validationFraction?: number; train?: number; validation?: number } | undefined;
  if (typeof training.data !== 'string' || split?.seed === undefined) return undefined;
  const dir = resolve(repoRoot, training.data);
  if (!existsSync(dir)) return undefined;
  try {
    const s = splitDataset(listImageDataset(dir).items, { seed: split.seed, testFraction: split.testFraction, validationFraction: split.validationFraction });
    if ((split.train !== undefined && s.train.length !== split.train) || (split.validation !== undefined && s.validation.length !== split.validation)) return undefined;
    return new Set([...s.train, ...s.validation].map((it) => sha256File(it.file)));
  } catch {
    return undefined;
  }
}

export interface ClassifyImageOptions extends ImageModelRef {
  /** Image files or folders (folders are walked). */
  files: string[];
  /** Write JSON lines to stdout (default true). */
  print?: boolean;
  /** Called for each input that could not be classified (after its error line); the others go on. */
  onError?: (file: string, message: string, error: unknown) => void;
}

/** One line saying what is wrong with an image input and what to give instead. */
export function explainImageInputError(file: string, e: unknown): string {
  const msg = ((e as Error)?.message ?? String(e)).split(/\r?\n/)[0];
  if ((e as NodeJS.ErrnoException)?.code === 'ENOENT' || / no such file$/.test(msg)) return `${file}: no such file; check the path`;
  if ((e as NodeJS.ErrnoException)?.code === 'EACCES') return `${file}: permission denied; check the file's permissions`;
  if (e instanceof ImageDecodeError) return `${msg}; give a JPEG, PNG, WebP, GIF, TIFF or AVIF image`;
  return msg;
}

export type ClassifyImageLine =
  | { file: string; label: string; scores: Record<string, number>; latencyMs: number }
  | { file: string; error: string };

/**
 * `streamlens classify image FILE...`: one JSON line per image: {file, label, scores, latencyMs}
 * (label "unknown" below the model's threshold), or {file, error} for an unreadable image.
 */
export async function classifyImage(options: ClassifyImageOptions): Promise<ClassifyImageLine[]> {
  if (!options.files?.length) throw new Error('classify image: give at least one image file or folder');
  const loaded = await loadImageModel(options);
  const { manifest } = loaded.version;
  const lines: ClassifyImageLine[] = [];
  const emit = (l: ClassifyImageLine) => {
    lines.push(l);
    if (options.print !== false) process.stdout.write(JSON.stringify(l) + '\n');
  };
  try {
    for (const f of options.files) {
      let files: string[];
      try {
        files = existsSync(f) && statSync(f).isDirectory() ? listImageFiles(f) : [f];
      } catch (e) {
        const error = explainImageInputError(f, e);
        emit({ file: f, error });
        options.onError?.(f, error, e);
        continue;
      }
      for (const file of files) {
        const t0 = performance.now();
        try {
          if (!existsSync(file)) throw new Error(`${file}: no such file`);
          const x = await preprocessImage(file, loaded.settings);
          const [p] = await loaded.classifier.predict([x.data]);
          const scores = Object.fromEntries(manifest.labels.map((l, i) => [l, Math.round(p[i] * 1e4) / 1e4]));
          emit({ file, label: decideLabel(manifest.labels, p, manifest.unknownThreshold), scores, latencyMs: Math.round((performance.now() - t0) * 100) / 100 });
        } catch (e) {
          const error = explainImageInputError(file, e);
          emit({ file, error });
          options.onError?.(file, error, e);
        }
      }
    }
  } finally {
    await loaded.classifier.close();
  }
  return lines;
}
