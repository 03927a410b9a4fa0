import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { confusionMatrixChart, rocChart, trainingCurvesChart } from '../../analysis/charts.js';
import { rocCurvesOvr } from '../../analysis/curves.js';
import { writeReport, type ReportSection } from '../../analysis/report.js';
import { groupKFold } from '../../analysis/validation.js';
import { cacheRoot, dataRoot } from '../../core/paths.js';
import { parseAudioFeatureSettings, type AudioFeatureSettingsInput } from '../../features/audio/settings.js';
import { loadClassifier } from '../../inference/classifier-loader.js';
import { exportToOnnx } from '../onnx-export/index.js';
import type { ModelTask } from '../../models/manifest.js';
import { modelsRoot, publishVersion } from '../../models/model-repository.js';
import { decodeAudioFile } from '../../ingest/audio-file-source.js';
import { writeReference } from '../../monitoring/shipped.js';
import { initTrainingBackend } from '../../inference/tfjs-backend.js';
import { seededShuffle } from '../seeding.js';
import { extractClipFeatures, type FeatureSet } from './clip-features.js';
import { evaluateClips, meanProbabilities, type SpeechEvaluation } from './clip-metrics.js';
import { EMOTION_LABELS, GENDER_LABELS, scanSpeechDataset, type SpeechClip } from './datasets.js';
import { balancedClassWeights, fitSpeechModel, predictWindows, type EpochLog } from './fit-speech.js';
import { buildSpeechModel, type SpeechModelKind } from './models.js';
import { matchingFold, publishedFolds, type PublishedFolds } from './published-folds.js';
import { SPEECH_FEATURE_SETTINGS } from './settings.js';
import { collectWindows, featureStatistics, normaliseInPlace, speechWindowIndices } from './window-data.js';

export type SpeechTask = 'emotion' | 'gender';

export interface TrainAudioOptions {
  /** Folder of labelled clips (RAVDESS / CREMA-D / TESS / SAVEE names or folder-per-label). Default `<data>/ravdess`. */
  data?: string;
  /** Model repository root to publish into (default models/ or STREAMLENS_MODELS). */
  out?: string;
  task?: SpeechTask;
  model?: SpeechModelKind;
  /** Speaker-grouped folds for the leave-speakers-out estimate (default 6; 0 skips it). */
  folds?: number;
  /** Run only these fold indices (default all): for quick comparisons. */
  onlyFolds?: number[];
  /** Default 30. */
  epochs?: number;
  seed?: number;
  /** Waveform-augmented copies per training clip (default 1). */
  augmentedCopies?: number;
  /** Use every n-th speech window of a training clip (default 3: windows 1.5 s apart). */
  trainWindowStride?: number;
  /** Default 32. */
  batchSize?: number;
  /** Peak of the cosine schedule (default 2.5e-3). */
  learningRate?: number;
  /** Width multiplier of the network (default 2). */
  width?: number;
  /** Conv blocks of the cnn (default 3). */
  depth?: number;
  dropout?: number;
  /** Stacked LSTM layers of the lstm model (default 1). */
  lstmLayers?: number;
  /** Units per LSTM layer (default 48 x width). */
  lstmUnits?: number;
  /**
   * Early stopping: this many of each fold's training speakers are held out, their windows scored
   * after every epoch, and training stops after `patience` epochs without a better accuracy (best
   * weights restored). Default 0: no early stopping, every epoch runs.
   */
  earlyStoppingSpeakers?: number;
  /** Epochs without improvement before stopping (default 3). */
  patience?: number;
  settings?: AudioFeatureSettingsInput;
  /** Keep at most this many clips per speaker (quick runs and tests). */
  maxClipsPerSpeaker?: number;
  /** Train and publish the final model on all clips (default true). */
  publish?: boolean;
  /** Model name in the repository (default: the task). */
  name?: string;
  /**
   * Keep each finished fold under `.cache/speech-cv/<hash of data + options>/` and reuse it, so folds
   * can run in separate processes (`onlyFolds`) and a later run only trains what is missing. Default true.
   */
  cacheFolds?: boolean;
  /** Clips whose training-time probabilities go into the manifest, for checking the served path (default 8). */
  referenceClips?: number;
  /** Also write the training report (report.html, report.json) into this folder; the only report of a run with publish false. */
  reportDir?: string;
  log?: (line: string) => void;
}

export interface FoldResult {
  fold: number;
  testSpeakers: string[];
  trainClips: number;
  testClips: number;
  accuracy: number;
  macroF1: number;
  weightedF1: number;
  /** confusion[i][j] = the fold's test clips of true labels[i] predicted labels[j]. */
  confusion: number[][];
  /** Training speakers held out for early stopping (not trained on), when earlyStoppingSpeakers > 0. */
  earlyStoppingSpeakers?: string[];
  epochs: EpochLog[];
}

export interface TrainAudioResult {
  task: SpeechTask;
  model: SpeechModelKind;
  labels: string[];
  clips: number;
  speakers: number;
  crossValidation?: {
    folds: FoldResult[];
    accuracy: { mean: number; std: number };
    macroF1: { mean: number; std: number };
    /** Pooled out-of-fold evaluation (every clip predicted by the fold that did not train on its speaker). */
    pooled: SpeechEvaluation;
  };
  published?: { name: string; version: string; dir: string; onnxBytes: number; parameters: number };
  seconds: number;
}

function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}

function labelsFor(task: SpeechTask, clips: SpeechClip[]): { labels: string[]; labelOf: (c: SpeechClip) => string | undefined } {
  if (task === 'gender') return { labels: [...GENDER_LABELS], labelOf: (c) => c.gender };
  const present = new Set(clips.map((c) => c.emotion));
  return { labels: EMOTION_LABELS.filter((l) => present.has(l)), labelOf: (c) => c.emotion };
}

interface TrainedModel {
  model: tf.LayersModel;
  norm: { mean: number[]; std: number[] };
  epochs: EpochLog[];
  earlyStoppingSpeakers: string[];
}

/**
 * Splits `clipIdx` into training clips and the clips of `n` held-out speakers (seeded choice) for
 * early stopping; n = 0 keeps every clip for training.
 */
function earlyStoppingSplit(fs: FeatureSet, clipIdx: number[], n: number, seed: number): { train: number[]; validation: number[]; speakers: string[] } {
  if (n <= 0) return { train: clipIdx, validation: [], speakers: [] };
  const speakers = [...new Set(clipIdx.map((c) => fs.clips[c].clip.speaker))].sort();
  if (n >= speakers.length) throw new Error(`earlyStoppingSpeakers=${n} leaves no training speaker (${speakers.length} in the fold)`);
  const held = new Set(seededShuffle(speakers, seed).slice(0, n));
  return {
    train: clipIdx.filter((c) => !held.has(fs.clips[c].clip.speaker)),
    validation: clipIdx.filter((c) => held.has(fs.clips[c].clip.speaker)),
    speakers: [...held].sort(),
  };
}

async function trainOn(fs: FeatureSet, allClipIdx: number[], labelIdx: (c: number) => number, classes: number, o: Required<Pick<TrainAudioOptions, 'model' | 'epochs' | 'seed' | 'trainWindowStride'>> & TrainAudioOptions, log: (s: string) => void, tag: string): Promise<TrainedModel> {
  const split = earlyStoppingSplit(fs, allClipIdx, o.earlyStoppingSpeakers ?? 0, o.seed);
  const clipIdx = split.train;
  const data = collectWindows(fs, clipIdx, labelIdx, { augmented: true, speechOnly: true });
  // Keep every n-th window (neighbouring windows overlap by 75 %; this cuts epoch time without losing audio).
  const stride = Math.max(1, o.trainWindowStride);
  if (stride > 1) {
    const per = data.frames * data.features;
    let m = 0;
    let lastClip = -1;
    let k = 0;
    for (let i = 0; i < data.n; i++) {
      k = data.clipOf[i] === lastClip ? k + 1 : 0;
      lastClip = data.clipOf[i];
      if (k % stride !== 0) continue;
      data.x.copyWithin(m * per, i * per, (i + 1) * per);
      data.y[m] = data.y[i];
      data.clipOf[m] = data.clipOf[i];
      m++;
    }
    data.n = m;
    data.x = data.x.slice(0, m * per);
    data.y = data.y.slice(0, m);
    data.clipOf = data.clipOf.slice(0, m);
  }
  const norm = featureStatistics(data.x, data.features);
  normaliseInPlace(data.x, norm);
  const model = buildSpeechModel(o.model, { frames: data.frames, features: data.features, classes, seed: o.seed, width: o.width, depth: o.depth, dropout: o.dropout, lstmLayers: o.lstmLayers, lstmUnits: o.lstmUnits });
  log(`[${tag}] ${data.n} training windows, ${model.countParams()} parameters`);
  let earlyStopping: { validation: ReturnType<typeof collectWindows>; patience: number } | undefined;
  if (split.validation.length > 0) {
    const validation = collectWindows(fs, split.validation, labelIdx, { augmented: false, speechOnly: true });
    normaliseInPlace(validation.x, norm);
    earlyStopping = { validation, patience: o.patience ?? 3 };
    log(`[${tag}] early stopping on speakers ${split.speakers.join(', ')} (${validation.n} windows, patience ${earlyStopping.patience})`);
  }
  const epochs = await fitSpeechModel(model, data, {
    epochs: o.epochs,
    seed: o.seed,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    classWeights: balancedClassWeights(data.y, classes),
    earlyStopping,
    onEpoch: (e, l) =>
      log(`[${tag}] epoch ${e}/${o.epochs} loss ${l.loss.toFixed(4)} acc ${l.acc.toFixed(3)}${l.valAcc !== undefined ? ` val acc ${l.valAcc.toFixed(3)}` : ''} lr ${l.lr.toExponential(2)} (${l.seconds.toFixed(1)} s)`),
  });
  return { model, norm, epochs, earlyStoppingSpeakers: split.speakers };
}

/** Clip-level probabilities: mean over each clip's speech windows (all windows when none is speech). */
function predictClips(model: tf.LayersModel, fs: FeatureSet, clipIdx: number[], norm: { mean: number[]; std: number[] }): Float32Array[] {
  const data = collectWindows(fs, clipIdx, () => 0, { augmented: false, speechOnly: true });
  normaliseInPlace(data.x, norm);
  const probs = predictWindows(model, data.x, data.frames, data.features);
  const byClip = new Map<number, Float32Array[]>();
  probs.forEach((p, i) => {
    const list = byClip.get(data.clipOf[i]) ?? [];
    list.push(p);
    byClip.set(data.clipOf[i], list);
  });
  return clipIdx.map((c) => {
    const p = meanProbabilities(byClip.get(c) ?? []);
    if (!p) throw new Error(`clip ${fs.clips[c].clip.path} produced no feature window (shorter than minFinalWindowSeconds?)`);
    return p;
  });
}

/**
 * Trains a speech classifier (emotion or speaker gender): features from the shared extractor over
 * ffmpeg-decoded clips (cached), leave-speakers-out cross-validation (group k-fold by speaker),
 * waveform augmentation + SpecAugment + class weights, then a final model on every clip exported to
 * ONNX and published with its manifest and an HTML report.
 */
export async function trainAudio(options: TrainAudioOptions = {}): Promise<TrainAudioResult> {
  const started = performance.now();
  const log = options.log ?? ((s: string) => console.error(s));
  const task = options.task ?? 'emotion';
  const o = {
    ...options,
    // Defaults = the shipped models/emotion/4 (CNN of 3 conv blocks at width 2, batches of 32, 30 epochs of cosine decay from 2.5e-3).
    model: options.model ?? 'cnn',
    epochs: options.epochs ?? 30,
    depth: options.depth ?? 3,
    seed: options.seed ?? 1,
    trainWindowStride: options.trainWindowStride ?? 3,
    width: options.width ?? 2,
    batchSize: options.batchSize ?? 32,
    learningRate: options.learningRate ?? 2.5e-3,
  };
  const folds = options.folds ?? 6;
  const dataDir = options.data ?? join(dataRoot(), 'ravdess');
  const settings = parseAudioFeatureSettings(options.settings ?? SPEECH_FEATURE_SETTINGS);
  if (settings.normalization.kind === 'global') {
    throw new Error('trainAudio computes the global normalisation from the training set (manifest features.normalisation); pass settings with normalization "none" or "perWindowCmvn"');
  }
  await initTrainingBackend('auto', { log });

  let { clips } = scanSpeechDataset(dataDir);
  const { labels, labelOf } = labelsFor(task, clips);
  clips = clips.filter((c) => labelOf(c) !== undefined);
  if (options.maxClipsPerSpeaker) {
    const seen = new Map<string, number>();
    clips = clips.filter((c) => {
      const n = seen.get(c.speaker) ?? 0;
      seen.set(c.speaker, n + 1);
      return n < options.maxClipsPerSpeaker!;
    });
  }
  const speakers = [...new Set(clips.map((c) => c.speaker))];
  log(`[train] ${clips.length} clips, ${speakers.length} speakers, task ${task}, labels ${labels.join(', ')}, model ${o.model}`);
  const fs = await extractClipFeatures(clips, settings, {
    augmentedCopies: options.augmentedCopies ?? 1,
    seed: o.seed,
    onProgress: (d, n) => {
      if (d % 100 === 0 || d === n) log(`[features] ${d}/${n} clips`);
    },
  });
  log(`[features] ${fs.fromCache ? 'from cache' : 'extracted'} ${fs.cacheDir}: windows of ${fs.framesPerWindow} x ${fs.nFeatures}`);
  const labelIdx = (c: number) => labels.indexOf(labelOf(clips[c])!);
  const result: TrainAudioResult = { task, model: o.model, labels, clips: clips.length, speakers: speakers.length, seconds: 0 };

  if (folds >= 2) {
    const splits = groupKFold(clips.map((c) => c.speaker), folds);
    const foldResults: FoldResult[] = [];
    const pooledTrue: string[] = [];
    const pooledProbs: Float32Array[] = [];
    const foldCache =
      options.cacheFolds === false
        ? null
        : join(
            cacheRoot(),
            'speech-cv',
            createHash('sha256')
              .update(
                JSON.stringify({
                  features: fs.cacheDir,
                  task,
                  folds,
                  labels,
                  model: o.model,
                  epochs: o.epochs,
                  seed: o.seed,
                  stride: o.trainWindowStride,
                  copies: options.augmentedCopies ?? 1,
                  batchSize: o.batchSize,
                  lr: o.learningRate,
                  width: o.width,
                  ...(o.depth !== 2 ? { depth: o.depth } : {}),
                  dropout: o.dropout,
                  max: options.maxClipsPerSpeaker,
                  // Only when set, so the folds cached before these options existed keep their keys.
                  ...(o.lstmLayers !== undefined ? { lstmLayers: o.lstmLayers } : {}),
                  ...(o.lstmUnits !== undefined ? { lstmUnits: o.lstmUnits } : {}),
                  ...(o.earlyStoppingSpeakers ? { earlyStoppingSpeakers: o.earlyStoppingSpeakers, patience: o.patience ?? 3 } : {}),
                }),
              )
              .digest('hex')
              .slice(0, 24),
          );
    for (const [k, split] of splits.entries()) {
      if (options.onlyFolds && !options.onlyFolds.includes(k)) continue;
      const cached = foldCache ? join(foldCache, `fold-${k}.json`) : null;
      let fold: { result: FoldResult; yTrue: string[]; probs: number[][] };
      if (cached && existsSync(cached)) {
        fold = JSON.parse(readFileSync(cached, 'utf8'));
        log(`[fold ${k + 1}/${folds}] from cache ${cached}`);
      } else {
        const trained = await trainOn(fs, split.train, labelIdx, labels.length, o, log, `fold ${k + 1}/${folds}`);
        const probs = predictClips(trained.model, fs, split.test, trained.norm);
        trained.model.dispose();
        const yTrue = split.test.map((c) => labelOf(clips[c])!);
        const ev = evaluateClips(labels, yTrue, probs);
        const testSpeakers = [...new Set(split.test.map((c) => clips[c].speaker))].sort();
        fold = {
          result: {
            fold: k,
            testSpeakers,
            trainClips: split.train.length,
            testClips: split.test.length,
            accuracy: ev.accuracy,
            macroF1: ev.macroF1,
            weightedF1: ev.weightedF1,
            confusion: ev.confusion,
            ...(trained.earlyStoppingSpeakers.length > 0 ? { earlyStoppingSpeakers: trained.earlyStoppingSpeakers } : {}),
            epochs: trained.epochs,
          },
          yTrue,
          probs: probs.map((p) => Array.from(p)),
        };
        if (cached) {
          mkdirSync(foldCache!, { recursive: true });
          writeFileSync(cached, JSON.stringify(fold));
        }
      }
      // Folds cached before the confusion matrix was kept get it from their predictions.
      foldResults.push({ ...fold.result, confusion: evaluateClips(labels, fold.yTrue, fold.probs.map((p) => Float32Array.from(p))).confusion });
      pooledTrue.push(...fold.yTrue);
      pooledProbs.push(...fold.probs.map((p) => Float32Array.from(p)));
      const f = fold.result;
      log(`[fold ${k + 1}/${folds}] test speakers ${f.testSpeakers.join(',')}: accuracy ${f.accuracy.toFixed(3)}, macro-F1 ${f.macroF1.toFixed(3)}`);
    }
    result.crossValidation = {
      folds: foldResults,
      accuracy: meanStd(foldResults.map((f) => f.accuracy)),
      macroF1: meanStd(foldResults.map((f) => f.macroF1)),
      pooled: evaluateClips(labels, pooledTrue, pooledProbs),
    };
    const cv = result.crossValidation;
    log(`[cv] accuracy ${cv.accuracy.mean.toFixed(3)} ± ${cv.accuracy.std.toFixed(3)}, macro-F1 ${cv.macroF1.mean.toFixed(3)} ± ${cv.macroF1.std.toFixed(3)}`);
    (result as { _pooled?: unknown })._pooled = { yTrue: pooledTrue, probs: pooledProbs };
  }
  const pooled = (result as { _pooled?: { yTrue: string[]; probs: Float32Array[] } })._pooled;
  delete (result as { _pooled?: unknown })._pooled;
  const shipped = publishedFolds(options.name ?? task, options.out);

  if (options.publish !== false) {
    const all = clips.map((_, i) => i);
    const final = await trainOn(fs, all, labelIdx, labels.length, o, log, 'final');
    const onnx = Buffer.from(exportToOnnx(final.model, { graphName: `${task}_${o.model}` }));
    const nRef = Math.min(options.referenceClips ?? 8, clips.length);
    const refIdx = Array.from({ length: nRef }, (_, i) => Math.floor((i * clips.length) / nRef));
    const refProbs = predictClips(final.model, fs, refIdx, final.norm);
    const reference = refIdx.map((c, i) => ({ clip: relative(dataDir, clips[c].path), label: labelOf(clips[c]), probs: Array.from(refProbs[i]) }));
    const frames = fs.framesPerWindow;
    const nFeatures = fs.nFeatures;
    const reportDir = mkdtempSync(join(tmpdir(), 'speech-report-'));
    const report = buildReport(task, o.model, result, final.epochs, pooled, labels, shipped);
    await writeReport(reportDir, report);
    if (options.reportDir) await writeReport(options.reportDir, report);
    const manifestTask: ModelTask = task === 'emotion' ? 'audio-emotion' : 'audio-gender';
    const name = options.name ?? task;
    const v = publishVersion(
      name,
      {
        task: manifestTask,
        format: 'onnx',
        files: { onnx: 'model.onnx', report: 'report.html' },
        labels,
        inputs: [{ name: final.model.inputNames[0], shape: [-1, frames, nFeatures], dtype: 'float32' }],
        outputs: [{ name: final.model.outputNames[0], shape: [-1, labels.length], dtype: 'float32' }],
        features: {
          kind: 'audio',
          settings: settings as unknown as Record<string, unknown>,
          normalisation: { mean: final.norm.mean, std: final.norm.std },
        },
        training: {
          data: dataDir,
          clips: clips.length,
          speakers: speakers.length,
          /** Every speaker of the final model's training clips (evals report how many of theirs were seen). */
          speakerIds: [...speakers].sort(),
          datasets: [...new Set(clips.map((c) => c.dataset))],
          model: o.model,
          parameters: final.model.countParams(),
          epochs: o.epochs,
          width: o.width,
          depth: o.depth,
          batchSize: o.batchSize,
          learningRate: o.learningRate,
          dropout: o.dropout ?? 0.3,
          seed: o.seed,
          augmentedCopies: options.augmentedCopies ?? 1,
          trainWindowStride: o.trainWindowStride,
          finalTrainingCurve: final.epochs,
          clipAggregation: 'mean of speech-window probabilities',
          /** Clip probabilities of the trained tfjs model on a few training clips; the served ONNX path must reproduce them. */
          reference,
        },
        metrics: result.crossValidation
          ? {
              evaluation: `leave-speakers-out, ${folds}-fold group k-fold by speaker`,
              accuracy: result.crossValidation.accuracy,
              macroF1: result.crossValidation.macroF1,
              folds: result.crossValidation.folds.map(({ epochs: _e, ...f }) => f),
              pooled: result.crossValidation.pooled,
            }
          : {},
      },
      { 'model.onnx': onnx, 'report.html': { copyFrom: join(reportDir, 'report.html') }, 'report.json': { copyFrom: join(reportDir, 'report.json') } },
      options.out ?? modelsRoot(),
    );
    rmSync(reportDir, { recursive: true, force: true });
    // Training reference for drift monitoring: the final model's training clips, decoded as training did.
    await writeReference(v, { media: 'audio', files: clips.map((c) => c.path), decode: (f) => decodeAudioFile(f) }, { data: dataDir, split: `all ${clips.length} training clips` });
    // The served path (serving loader: ONNX session + manifest normalisation) must reproduce training's numbers.
    const served = await loadClassifier(v);
    try {
      let maxDiff = 0;
      for (const [i, c] of refIdx.entries()) {
        const version0 = fs.clips[c].versions[0];
        const per = fs.framesPerWindow * fs.nFeatures;
        const wins = speechWindowIndices(version0.speech, true).map((w) => version0.data.slice(w * per, (w + 1) * per));
        const p = meanProbabilities(await served.predict(wins))!;
        p.forEach((x, j) => (maxDiff = Math.max(maxDiff, Math.abs(x - refProbs[i][j]))));
      }
      log(`[publish] served ONNX path vs tfjs on ${refIdx.length} clips: max |diff| ${maxDiff.toExponential(2)}`);
      if (maxDiff > 1e-3) throw new Error(`the exported ONNX model does not reproduce the trained model (max probability difference ${maxDiff})`);
    } finally {
      await served.close();
    }
    result.published = { name, version: v.manifest.version, dir: v.dir, onnxBytes: onnx.length, parameters: final.model.countParams() };
    log(`[publish] ${v.dir} (${(onnx.length / 1024).toFixed(1)} KiB ONNX, ${final.model.countParams()} parameters)`);
    final.model.dispose();
  }
  else if (options.reportDir) await writeReport(options.reportDir, buildReport(task, o.model, result, undefined, pooled, labels, shipped));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}


function buildReport(
  task: SpeechTask,
  kind: SpeechModelKind,
  r: TrainAudioResult,
  finalEpochs: EpochLog[] | undefined,
  pooled: { yTrue: string[]; probs: Float32Array[] } | undefined,
  labels: string[],
  shipped?: PublishedFolds,
): { title: string; sections: ReportSection[] } {
  const sections: ReportSection[] = [
    {
      kind: 'keyValue',
      title: 'Run',
      entries: { task, model: kind, clips: r.clips, speakers: r.speakers, labels: labels.join(', '), clipPrediction: 'mean of speech-window probabilities' },
    },
  ];
  const cv = r.crossValidation;
  if (cv && pooled) {
    sections.push({
      kind: 'metrics',
      title:
        cv.folds.length > 1
          ? `Leave-speakers-out cross-validation (mean over the ${cv.folds.length} folds run, ± std)`
          : 'Leave-speakers-out cross-validation (one fold run: no spread; std shows 0)',
      metrics: [
        { name: 'accuracy (mean)', value: cv.accuracy.mean },
        { name: 'accuracy (std)', value: cv.accuracy.std },
        { name: 'macro-F1 (mean)', value: cv.macroF1.mean },
        { name: 'macro-F1 (std)', value: cv.macroF1.std },
      ],
    });
    sections.push({
      kind: 'table',
      title: 'Per fold',
      caption: cv.folds.some((f) => f.earlyStoppingSpeakers)
        ? 'Early stopping: the speakers in the last column were held out of the fold\'s training data and scored after every epoch; the weights of the best epoch were kept.'
        : undefined,
      columns: ['fold', 'test speakers', 'test clips', 'accuracy', 'macro-F1', 'epochs run', 'early-stopping speakers'],
      rows: cv.folds.map((f) => [f.fold + 1, f.testSpeakers.join(' '), f.testClips, f.accuracy, f.macroF1, f.epochs.length, f.earlyStoppingSpeakers?.join(' ') ?? '–']),
    });
    if (shipped) sections.push(shippedComparison(cv.folds, shipped));
    sections.push({
      kind: 'table',
      title: 'Per class (pooled out-of-fold predictions)',
      columns: ['class', 'precision', 'recall', 'F1', 'support', 'ROC AUC'],
      rows: labels.map((l) => {
        const p = cv.pooled.perClass[l];
        return [l, p.precision, p.recall, p.f1, p.support, p.rocAuc];
      }),
    });
    sections.push({
      kind: 'chart',
      title: 'Confusion matrix (pooled out-of-fold)',
      spec: confusionMatrixChart({ labels, counts: cv.pooled.confusion }, { title: 'Confusion matrix, rows = true class', normalize: 'true' }),
    });
    for (const f of cv.folds) {
      sections.push({
        kind: 'chart',
        title: `Confusion matrix, fold ${f.fold + 1} (test speakers ${f.testSpeakers.join(', ')})`,
        caption: `${f.testClips} clips; counts, rows = true class. The pooled matrix above is the sum of the fold matrices.`,
        spec: confusionMatrixChart({ labels, counts: f.confusion }, { title: `Fold ${f.fold + 1}, rows = true class` }),
      });
    }
    if (labels.every((l) => pooled.yTrue.includes(l)) && labels.length > 1) {
      const roc = rocCurvesOvr(pooled.yTrue, pooled.probs.map((p) => Array.from(p)), labels);
      sections.push({
        kind: 'chart',
        title: 'ROC (one-vs-rest, pooled out-of-fold)',
        spec: rocChart(
          roc.perClass.map((c) => ({ name: String(c.label), fpr: c.fpr, tpr: c.tpr, auc: c.auc })),
          { title: 'ROC curves per class' },
        ),
      });
    } else {
      sections.push({ kind: 'text', title: 'ROC', text: 'Not drawn: some class has no evaluation clip.' });
    }
    const f0 = cv.folds[0];
    if (f0) {
      sections.push({
        kind: 'chart',
        title: `Training curve, fold ${f0.fold + 1}`,
        spec: trainingCurvesChart(
          { epoch: f0.epochs.map((e) => e.epoch), train: { loss: f0.epochs.map((e) => e.loss), accuracy: f0.epochs.map((e) => e.acc) } },
          { title: `Fold ${f0.fold + 1} training loss and accuracy` },
        ),
      });
    }
  }
  if (finalEpochs) {
    sections.push({
      kind: 'chart',
      title: 'Training curve, final model (all speakers)',
      spec: trainingCurvesChart(
        { epoch: finalEpochs.map((e) => e.epoch), train: { loss: finalEpochs.map((e) => e.loss), accuracy: finalEpochs.map((e) => e.acc) } },
        { title: 'Final model training loss and accuracy' },
      ),
    });
  }
  return { title: `Speech ${task} model (${kind})`, sections };
}

/** This run's folds beside the published model's folds with the same test speakers. */
function shippedComparison(folds: FoldResult[], shipped: PublishedFolds): ReportSection {
  const rows = folds.map((f) => {
    const s = matchingFold(shipped, f.testSpeakers);
    return [f.fold + 1, f.testSpeakers.join(' '), f.accuracy, s?.accuracy ?? '–', f.macroF1, s?.macroF1 ?? '–'];
  });
  return {
    kind: 'table',
    title: `This run beside ${shipped.name}, fold by fold`,
    caption: 'Same test speakers in each row (a dash: the published model has no fold with these speakers). Only the folds this run trained are listed.',
    columns: ['fold', 'test speakers', 'accuracy (this run)', `accuracy (${shipped.name})`, 'macro-F1 (this run)', `macro-F1 (${shipped.name})`],
    rows,
  };
}
