/**
 * CLI entry points of speaker gender recognition:
 *  - `streamlens train audio --task gender --data DIR` -> trainGender
 *  - `streamlens eval audio --task gender --data DIR [--model V]` -> evalGender
 *  - classifyGenderFile: one file through the served path (ONNX + manifest), "no speech" refused.
 * Each returns a JSON-ready object (the CLI prints it).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { extractFile } from '../../features/audio/index.js';
import { loadClassifier } from '../../inference/classifier-loader.js';
import { featureKeyOf } from '../../inference/manifest.js';
import { modelsRoot, publishVersion, resolveModel } from '../../inference/model-repository.js';
import { exportToOnnx } from '../../inference/onnx-export/index.js';
import { createOnnxSession } from '../../inference/onnx-session.js';
import { classificationReport } from '../../analysis/index.js';
import { decodeAudioFile } from '../../ingest/audio-file-source.js';
import { initTrainingBackend } from '../backend.js';
import { extractClipFeatures } from './clip-features.js';
import { GENDER_LABELS, type DatasetName, type Gender } from './datasets.js';
import { predictWindows } from './fit-speech.js';
import {
  clipProbabilities,
  crossValidateGender,
  DEFAULT_GENDER_MODEL,
  evaluateClips,
  fitGenderModel,
  GENDER_MODEL_NAME,
  genderClips,
  genderFeatureSet,
  genderFeatureSettings,
  genderIndex,
  type GenderModelOptions,
} from './gender.js';
import { writeGenderReport } from './gender-report.js';
import { collectWindows, normaliseInPlace } from './window-data.js';

export interface TrainGenderOptions {
  /** Folder of clips whose names give the speaker's gender (RAVDESS, SAVEE, TESS). */
  data: string;
  dataset?: DatasetName;
  /** Speaker-grouped folds (default 5); 0 skips cross-validation. */
  folds?: number;
  epochs?: number;
  /** Units of the first per-frame layer (default 32). */
  units?: number;
  seed?: number;
  /** Model repository root (default models/). */
  out?: string;
  /** Write models/gender/<next> (default true). */
  publish?: boolean;
  /** Progress lines (default stderr). */
  log?: (line: string) => void;
}

export interface GenderFoldSummary {
  fold: number;
  testSpeakers: string[];
  testClips: number;
  accuracy: number;
  macroF1: number;
  rocAuc: number | null;
  confusion: { labels: string[]; counts: number[][] };
}

export interface TrainGenderResult {
  task: 'gender';
  data: string;
  clips: number;
  speakers: number;
  labels: string[];
  featureSettings: string;
  featureKey: string;
  crossValidation?: {
    folds: GenderFoldSummary[];
    accuracyMean: number;
    accuracyStd: number;
    pooled: { n: number; accuracy: number; macroF1: number; rocAuc: number | null; confusion: { labels: string[]; counts: number[][] } };
  };
  shipped: { onnxBytes: number; onnxMaxAbsDiff: number; trainWindows: number; version?: string; dir?: string };
}

const stderrLog = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Trains the speaker gender model: speaker-grouped k-fold cross-validation (clip-level accuracy per
 * fold, confusion matrices, ROC), then a final model on every clip, exported to ONNX (window tensor
 * [batch, frames, features] in, softmax over ['female','male'] out; the per-feature normalisation is in
 * the manifest), checked against tfjs, and published to models/gender/<next> with its report.
 */
export async function trainGender(o: TrainGenderOptions): Promise<TrainGenderResult> {
  const log = o.log ?? stderrLog;
  const root = o.out ?? modelsRoot();
  const data = resolve(o.data);
  await initTrainingBackend('auto', { log });
  const params: GenderModelOptions = {
    ...DEFAULT_GENDER_MODEL,
    ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
    ...(o.units !== undefined ? { units: o.units } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
  };
  const clips = genderClips(data, o.dataset);
  const speakers = new Set(clips.map((c) => c.speaker)).size;
  const genders = new Set(clips.map((c) => c.gender));
  if (genders.size < 2) throw new Error(`gender training needs clips of both genders; ${data} only has ${[...genders].join(', ')}`);
  const { settings, source } = genderFeatureSettings(root);
  const features = { kind: 'audio' as const, settings: settings as unknown as Record<string, unknown> };
  const featureKey = featureKeyOf(features);
  log(`[train:gender] ${clips.length} clips, ${speakers} speakers; feature settings from ${source} (featureKey ${featureKey})`);
  const fs = await genderFeatureSet(clips, settings, log);

  const folds = o.folds ?? 5;
  let cvSummary: TrainGenderResult['crossValidation'];
  let cv: Awaited<ReturnType<typeof crossValidateGender>> | undefined;
  if (folds > 0) {
    cv = await crossValidateGender(fs, folds, params, log);
    log(`[train:gender] ${folds}-fold accuracy ${cv.accuracy.mean.toFixed(4)} ± ${cv.accuracy.std.toFixed(4)} (${cv.accuracy.values.map((v) => v.toFixed(4)).join(', ')})`);
    const cm = (c: { labels: (string | number)[]; counts: number[][] }) => ({ labels: c.labels.map(String), counts: c.counts });
    cvSummary = {
      folds: cv.folds.map((f) => ({
        fold: f.fold,
        testSpeakers: f.testSpeakers,
        testClips: f.testClips,
        accuracy: f.evaluation.accuracy,
        macroF1: f.evaluation.macroF1,
        rocAuc: f.evaluation.rocAuc,
        confusion: cm(f.evaluation.confusion),
      })),
      accuracyMean: cv.accuracy.mean,
      accuracyStd: cv.accuracy.std,
      pooled: { n: cv.pooled.n, accuracy: cv.pooled.accuracy, macroF1: cv.pooled.macroF1, rocAuc: cv.pooled.rocAuc, confusion: cm(cv.pooled.confusion) },
    };
  }

  log(`[train:gender] final model on all ${clips.length} clips`);
  const all = fs.clips.map((_, i) => i);
  const final = await fitGenderModel(fs, all, params, log);
  const onnx = exportToOnnx(final.model, { graphName: 'speaker_gender', docString: `streamlens speaker gender, labels ${GENDER_LABELS.join(',')}` });
  // The exported graph must give what tfjs gives on real (normalised) windows.
  const check = collectWindows(fs, all.filter((_, i) => i % Math.max(1, Math.floor(all.length / 16)) === 0), (c) => genderIndex(fs.clips[c].clip.gender!), { speechOnly: true });
  normaliseInPlace(check.x, final.normalisation);
  const reference = predictWindows(final.model, check.x, check.frames, check.features);
  const session = await createOnnxSession(onnx);
  const served = await session.run(check.x, [check.n, check.frames, check.features]);
  await session.dispose();
  let maxDiff = 0;
  reference.forEach((p, i) => p.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - served.data[i * p.length + j])))));
  if (maxDiff > 1e-3) throw new Error(`ONNX export of the gender model disagrees with tfjs by ${maxDiff}`);
  const inputName = final.model.inputNames[0];
  const outputName = final.model.outputNames[0];
  final.model.dispose();

  const result: TrainGenderResult = {
    task: 'gender',
    data,
    clips: clips.length,
    speakers,
    labels: [...GENDER_LABELS],
    featureSettings: source,
    featureKey,
    crossValidation: cvSummary,
    shipped: { onnxBytes: onnx.byteLength, onnxMaxAbsDiff: maxDiff, trainWindows: final.trainWindows },
  };
  if (o.publish === false) return result;

  const reportDir = mkdtempSync(join(tmpdir(), 'streamlens-gender-report-'));
  try {
    const files: Record<string, Buffer> = { 'model.onnx': Buffer.from(onnx) };
    if (cv) {
      await writeGenderReport(reportDir, {
        data,
        clips: clips.length,
        speakers,
        settingsSource: source,
        featureKey,
        model: `per-frame net (dense ${params.units}-${params.units / 2}, time mean, softmax), ${params.epochs} epochs on ${params.cropFrames}-frame crops`,
        crossValidation: cv,
        onnxMaxAbsDiff: maxDiff,
      });
      files['report.html'] = readFileSync(join(reportDir, 'report.html'));
      files['report.json'] = readFileSync(join(reportDir, 'report.json'));
    }
    const version = publishVersion(
      GENDER_MODEL_NAME,
      {
        task: 'audio-gender',
        format: 'onnx',
        files: { onnx: 'model.onnx', ...(cv ? { report: 'report.html' } : {}) },
        labels: [...GENDER_LABELS],
        inputs: [{ name: inputName, shape: [-1, fs.framesPerWindow, fs.nFeatures], dtype: 'float32' }],
        outputs: [{ name: outputName, shape: [-1, GENDER_LABELS.length], dtype: 'float32' }],
        features: { ...features, normalisation: { mean: final.normalisation.mean, std: final.normalisation.std } },
        training: {
          data,
          clips: clips.length,
          speakers,
          clipsPerGender: Object.fromEntries(GENDER_LABELS.map((g) => [g, clips.filter((c) => c.gender === g).length])),
          featureSettingsFrom: source,
          model: 'per-frame dense net with time averaging (src/training/speech/gender-model.ts)',
          ...params,
          trainWindows: final.trainWindows,
          windows: 'speech windows only (voice-activity detector)',
          validation: cv ? `speaker-grouped ${folds}-fold cross-validation, clip level (mean of speech-window probabilities)` : 'none',
        },
        metrics: cvSummary ? { crossValidation: cvSummary, onnxMaxAbsDiff: maxDiff } : { onnxMaxAbsDiff: maxDiff },
      },
      files,
      root,
    );
    result.shipped.version = version.manifest.version;
    result.shipped.dir = version.dir;
    log(`[train:gender] published ${version.dir}`);
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
  return result;
}

export interface EvalGenderOptions {
  data: string;
  dataset?: DatasetName;
  /** Version of models/gender (default the newest). */
  model?: string;
  /** Model repository root (default models/). */
  modelsRoot?: string;
}

export interface EvalGenderResult {
  task: 'gender';
  model: { name: string; version: string; featureKey: string };
  data: string;
  /** Clips scored (clips with at least one speech window). */
  n: number;
  accuracy: number;
  macroF1: number;
  perClass: { label: string; precision: number; recall: number; f1: number; support: number }[];
  confusion: { labels: string[]; counts: number[][] };
  /** ROC AUC of P(male); null when only one gender is present. */
  rocAuc: number | null;
  /** Files with no speech window: no gender is given for them. */
  noSpeech: string[];
}

/**
 * Scores every gender-labelled clip of `data` through the served path (ONNX session with the
 * manifest's normalisation, windows from the feature extractor with the manifest's settings) and
 * returns clip-level accuracy, macro F1, per-class figures, the confusion matrix and ROC AUC.
 */
export async function evalGender(o: EvalGenderOptions): Promise<EvalGenderResult> {
  const data = resolve(o.data);
  const version = resolveModel(GENDER_MODEL_NAME, o.model, o.modelsRoot ?? modelsRoot());
  const m = version.manifest;
  if (m.features.kind !== 'audio') throw new Error(`model ${version.dir} does not take audio features`);
  const clips = genderClips(data, o.dataset);
  const fs = await extractClipFeatures(clips, m.features.settings);
  const classifier = await loadClassifier(version);
  try {
    const per = fs.framesPerWindow * fs.nFeatures;
    const items: Float32Array[] = [];
    const clipOf: number[] = [];
    const noSpeech: string[] = [];
    fs.clips.forEach((c, i) => {
      const v = c.versions[0];
      const speech = v.speech.flatMap((s, w) => (s ? [w] : []));
      if (speech.length === 0) noSpeech.push(c.clip.path);
      for (const w of speech) {
        items.push(v.data.subarray(w * per, (w + 1) * per));
        clipOf.push(i);
      }
    });
    if (items.length === 0) throw new Error(`no speech windows in any clip under ${data}`);
    const probs: Float32Array[] = [];
    for (let s = 0; s < items.length; s += 64) probs.push(...(await classifier.predict(items.slice(s, s + 64))));
    const byClip = clipProbabilities(probs, Int32Array.from(clipOf));
    const idx = [...byClip.keys()];
    const order = m.labels.map((l) => l as Gender);
    // re-order the model's label order into GENDER_LABELS order
    const toCanonical = (p: number[]) => GENDER_LABELS.map((g) => p[order.indexOf(g)]);
    const ev = evaluateClips(idx.map((i) => clips[i].gender!), idx.map((i) => toCanonical(byClip.get(i)!)));
    const report = classificationReport(ev.truth, ev.predicted);
    return {
      task: 'gender',
      model: { name: m.name, version: m.version, featureKey: classifier.featureKey },
      data,
      n: ev.n,
      accuracy: ev.accuracy,
      macroF1: ev.macroF1,
      perClass: report.perClass.map((p) => ({ label: String(p.label), precision: p.precision, recall: p.recall, f1: p.f1, support: p.support })),
      confusion: { labels: ev.confusion.labels.map(String), counts: ev.confusion.counts },
      rocAuc: ev.rocAuc,
      noSpeech,
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
  scores: Record<string, number>;
  windows: number;
  speechWindows: number;
}

/**
 * Speaker gender of one audio file (any format ffmpeg decodes) through the served path. Throws for a
 * file that cannot be decoded, one too short for a window, and one without speech ("no speech").
 */
export async function classifyGenderFile(file: string, o: ClassifyGenderOptions = {}): Promise<GenderClassification> {
  const version = resolveModel(GENDER_MODEL_NAME, o.model, o.modelsRoot ?? modelsRoot());
  const m = version.manifest;
  const pcm = await decodeAudioFile(file);
  const windows = extractFile(pcm, m.features.settings);
  if (windows.length === 0) throw new Error(`${file}: too short for a feature window (${(pcm.length / 16000).toFixed(2)} s of audio)`);
  const speech = windows.filter((w) => w.speech);
  if (speech.length === 0) throw new Error(`${file}: no speech detected in ${windows.length} window(s); no gender is given`);
  const classifier = await loadClassifier(version);
  try {
    const probs = await classifier.predict(speech.map((w) => w.features));
    const mean = m.labels.map((_, j) => probs.reduce((a, p) => a + p[j], 0) / probs.length);
    const best = mean.indexOf(Math.max(...mean));
    return {
      file,
      label: m.labels[best] as Gender,
      scores: Object.fromEntries(m.labels.map((l, j) => [l, mean[j]])),
      windows: windows.length,
      speechWindows: speech.length,
    };
  } finally {
    await classifier.close();
  }
}
