import { PIPELINE_SAMPLE_RATE } from '../../core/audio-format.js';
/**
 * Speaker gender commands:
 *  - `streamlens train audio --task gender --data DIR` -> trainGender (the speech pipeline's
 *    trainAudio with task 'gender' and the gender defaults below; publishes models/gender/<v>)
 *  - `streamlens eval audio --task gender --data DIR [--model V]` -> evalGender
 *  - classifyGenderFile: one file's speaker gender, "no speech" refused.
 * Both run the served path: the published ONNX model through the serving loader (manifest
 * normalisation applied), on windows from the feature extractor with the manifest's settings.
 */
import { resolve } from 'node:path';
import { extractFile } from '../../features/audio/index.js';
import { loadClassifier } from '../../inference/classifier-loader.js';
import { modelsRoot, resolveModel, type ModelVersion } from '../../models/model-repository.js';
import { decodeAudioFile } from '../../ingest/audio-file-source.js';
import { extractClipFeatures } from './clip-features.js';
import { evaluateClips, meanProbabilities, type SpeechEvaluation } from './clip-metrics.js';
import { GENDER_LABELS, scanSpeechDataset, type DatasetName, type Gender, type SpeechClip } from './datasets.js';
import { type EvalSubset, partitionBySpeaker, type SpeakerPartition } from './seen-speakers.js';
import { trainAudio, type TrainAudioResult } from './train-audio.js';

export const GENDER_MODEL_NAME = 'gender';

/** Clips of `root` whose dataset file names give the speaker's gender. */
export function genderClips(root: string, dataset?: DatasetName): SpeechClip[] {
  const { clips } = scanSpeechDataset(root, dataset);
  const labelled = clips.filter((c) => c.gender);
  if (labelled.length === 0) {
    throw new Error(`no clip under ${root} has a gender label (RAVDESS actor numbers, SAVEE and TESS speakers give one; CREMA-D names do not)`);
  }
  return labelled;
}

export interface TrainGenderOptions {
  /** Folder of clips whose names give the gender (default `<data>/ravdess`). */
  data?: string;
  /** Model repository root (default models/). */
  out?: string;
  /** Speaker-grouped folds (default 5; 0 skips cross-validation). */
  folds?: number;
  /** Epochs per model (default 8: gender converges fast). */
  epochs?: number;
  seed?: number;
  /** Waveform-augmented copies per clip (default 0: features are shared with the emotion cache). */
  augmentedCopies?: number;
  /** Publish models/gender/<next> (default true). */
  publish?: boolean;
  /** Also write the training report here (the only report of a run with publish false). */
  reportDir?: string;
  /** Train only these fold indices (0-based). */
  onlyFolds?: number[];
  log?: (line: string) => void;
}

/**
 * Trains the speaker gender model with the speech pipeline's trainer: same feature settings and
 * window shape as the emotion model (so the server feeds both the same windows), speaker-grouped
 * k-fold cross-validation with clip-level scoring (mean of speech-window probabilities), final model
 * on every clip exported to ONNX and published with manifest and report.
 */
export async function trainGender(o: TrainGenderOptions = {}): Promise<TrainAudioResult> {
  return trainAudio({
    task: 'gender',
    name: GENDER_MODEL_NAME,
    data: o.data,
    out: o.out,
    folds: o.folds ?? 5,
    epochs: o.epochs ?? 8,
    seed: o.seed,
    augmentedCopies: o.augmentedCopies ?? 0,
    // The shipped models/gender/1 network and schedule (pinned: trainAudio's defaults are the emotion model's).
    trainWindowStride: 2,
    width: 1,
    depth: 2,
    batchSize: 64,
    learningRate: 2e-3,
    publish: o.publish,
    reportDir: o.reportDir,
    onlyFolds: o.onlyFolds,
    log: o.log,
  });
}

function genderModel(version: string | undefined, root: string | undefined): ModelVersion {
  const v = resolveModel(GENDER_MODEL_NAME, version, root ?? modelsRoot());
  const m = v.manifest;
  if (m.features.kind !== 'audio') throw new Error(`model ${v.dir} does not take audio features`);
  const unknown = m.labels.filter((l) => !(GENDER_LABELS as readonly string[]).includes(l));
  if (unknown.length > 0) throw new Error(`model ${v.dir} has labels ${m.labels.join(', ')}; a gender model has ${GENDER_LABELS.join(', ')}`);
  return v;
}

export interface EvalGenderOptions {
  /** Folder of clips whose names give the gender (RAVDESS, SAVEE, TESS). */
  data: string;
  dataset?: DatasetName;
  /** Version of models/gender (default: the newest). */
  model?: string;
  /** Model repository root (default models/). */
  modelsRoot?: string;
  /** Feature cache root (default `.cache/features`); null computes the features without caching. */
  cacheRoot?: string | null;
  /** 'all' (default) or only the clips of speakers the model was not trained on. */
  subset?: EvalSubset;
}

export interface EvalGenderResult extends SpeechEvaluation, Omit<SpeakerPartition<SpeechClip>, 'clips'> {
  task: 'gender';
  model: { name: string; version: string; featureKey: string };
  data: string;
  /** ROC AUC of P(male) with male as the positive class; null when one gender is absent. */
  rocAuc: number | null;
  /** Files without a speech window: no gender is given for them (not counted in n). */
  noSpeech: string[];
}

/**
 * Scores every gender-labelled clip under `data` (clip = mean of its speech-window probabilities)
 * and returns one JSON object: n, accuracy, macro / weighted F1, per-class precision / recall / F1 /
 * support / ROC AUC, confusion matrix (rows = true, labels order), ROC AUC of P(male), files with no speech.
 */
export async function evalGender(o: EvalGenderOptions): Promise<EvalGenderResult> {
  const data = resolve(o.data);
  const version = genderModel(o.model, o.modelsRoot);
  const m = version.manifest;
  const { clips, ...partition } = partitionBySpeaker(genderClips(data, o.dataset), m, o.subset ?? 'all', data);
  const fs = await extractClipFeatures(clips, m.features.settings, { cacheRoot: o.cacheRoot, concurrency: 2 });
  const classifier = await loadClassifier(version);
  try {
    const per = fs.framesPerWindow * fs.nFeatures;
    const truth: Gender[] = [];
    const probs: Float32Array[] = [];
    const noSpeech: string[] = [];
    for (const c of fs.clips) {
      const v = c.versions[0];
      const windows = v.speech.flatMap((s, w) => (s ? [v.data.subarray(w * per, (w + 1) * per)] : []));
      if (windows.length === 0) {
        noSpeech.push(c.clip.path);
        continue;
      }
      const p = meanProbabilities(await classifier.predict(windows))!;
      truth.push(c.clip.gender!);
      probs.push(p);
    }
    if (truth.length === 0) throw new Error(`no clip under ${data} has a speech window; nothing to evaluate`);
    const ev = evaluateClips(m.labels, truth, probs);
    return {
      task: 'gender',
      model: { name: m.name, version: m.version, featureKey: classifier.featureKey },
      data,
      ...ev,
      rocAuc: ev.perClass.male?.rocAuc ?? null,
      noSpeech,
      ...partition,
    };
  } finally {
    await classifier.close();
  }
}

export interface ClassifyGenderOptions {
  model?: string;
  modelsRoot?: string;
}

export interface GenderClassification {
  file: string;
  label: Gender;
  /** Mean probability per label over the speech windows. */
  scores: Record<string, number>;
  windows: number;
  speechWindows: number;
  model: { name: string; version: string };
}

/**
 * Speaker gender of one audio file (anything ffmpeg decodes) through the served path. Throws, naming
 * the file, when it cannot be decoded, is too short for one window, or holds no speech.
 */
export async function classifyGenderFile(file: string, o: ClassifyGenderOptions = {}): Promise<GenderClassification> {
  const version = genderModel(o.model, o.modelsRoot);
  const m = version.manifest;
  const pcm = await decodeAudioFile(file);
  const windows = extractFile(pcm, m.features.settings);
  if (windows.length === 0) throw new Error(`${file}: too short for a feature window (${(pcm.length / PIPELINE_SAMPLE_RATE).toFixed(2)} s of audio)`);
  const speech = windows.filter((w) => w.speech);
  if (speech.length === 0) throw new Error(`${file}: no speech detected in ${windows.length} window(s); no gender is given`);
  const classifier = await loadClassifier(version);
  try {
    const mean = meanProbabilities(await classifier.predict(speech.map((w) => w.features)))!;
    let best = 0;
    for (let j = 1; j < mean.length; j++) if (mean[j] > mean[best]) best = j;
    return {
      file,
      label: m.labels[best] as Gender,
      scores: Object.fromEntries(m.labels.map((l, j) => [l, mean[j]])),
      windows: windows.length,
      speechWindows: speech.length,
      model: { name: m.name, version: m.version },
    };
  } finally {
    await classifier.close();
  }
}
