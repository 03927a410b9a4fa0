import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAudioFeatureSettings, type AudioFeatureSettings, type AudioFeatureSettingsInput } from '../../features/audio/settings.js';
import { extractFile, type FeatureWindow } from '../../features/audio/streaming-extractor.js';
import { decodeAudioFile } from '../../ingest/audio-file-source.js';
import type { Classifier } from '../../inference/classifier-pool.js';
import { loadClassifier } from '../../inference/classifier-loader.js';
import { readVersion, resolveModel, type ModelVersion } from '../../models/model-repository.js';
import { meanProbabilities } from './clip-metrics.js';

/** A served speech model: the serving loader's classifier (ONNX session + manifest normalisation) and its feature settings. */
export interface SpeechModel {
  classifier: Classifier;
  version: ModelVersion;
  settings: AudioFeatureSettings;
  labels: string[];
  close(): Promise<void>;
}

/**
 * Loads a speech model exactly as the inference stage does (`loadClassifier`). `model` is a model
 * name in the repository (newest version, or `version`), or the path of a version folder.
 */
export async function loadSpeechModel(model: string, options: { version?: string; root?: string } = {}): Promise<SpeechModel> {
  const version = existsSync(join(model, 'manifest.json')) && statSync(model).isDirectory() ? readVersion(model) : resolveModel(model, options.version, options.root);
  const m = version.manifest;
  if (m.features.kind !== 'audio') throw new Error(`model ${m.name} v${m.version} takes ${m.features.kind} features, not audio`);
  const classifier = await loadClassifier(version);
  return {
    classifier,
    version,
    settings: parseAudioFeatureSettings(m.features.settings as AudioFeatureSettingsInput),
    labels: m.labels,
    close: () => classifier.close(),
  };
}

/** Window probabilities from the served classifier (in label order). */
export async function scoreWindows(model: SpeechModel, windows: readonly FeatureWindow[]): Promise<Float32Array[]> {
  if (windows.length === 0) return [];
  const out: Float32Array[] = [];
  for (let i = 0; i < windows.length; i += 64) out.push(...(await model.classifier.predict(windows.slice(i, i + 64).map((w) => w.features))));
  return out;
}

export interface ClipPrediction {
  windows: FeatureWindow[];
  /** Probabilities of each window (all windows, speech or not). */
  windowProbs: Float32Array[];
  /** Mean over speech windows (all windows when none is speech); null when the clip gave no window. */
  probs: Float32Array | null;
  durationSec: number;
}

/** Decodes a file with the ffmpeg ingest, extracts windows with the shared extractor and scores them with the served model. */
export async function predictClip(model: SpeechModel, path: string): Promise<ClipPrediction> {
  const pcm = await decodeAudioFile(path);
  const windows = extractFile(pcm, model.settings);
  const windowProbs = await scoreWindows(model, windows);
  const speech = windowProbs.filter((_, i) => windows[i].speech);
  return { windows, windowProbs, probs: meanProbabilities(speech.length > 0 ? speech : windowProbs), durationSec: pcm.length / model.settings.sampleRate };
}
