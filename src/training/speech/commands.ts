import { join } from 'node:path';
import type { MessageOf } from '../../bus/envelope.js';
import { dataRoot } from '../../core/paths.js';
import { audioFeaturesStage } from '../../features/audio/stage.js';
import { float32View } from '../../bus/envelope.js';
import { openAudioFileSource } from '../../ingest/audio-file-source.js';
import { audioChunkMessage } from '../../ingest/publish-audio.js';
import { featureKeyOf } from '../../inference/manifest.js';
import { decide, SILENCE_LABEL } from '../../inference/stage.js';
import { argmax, evaluateClips, meanProbabilities, type SpeechEvaluation } from './clip-metrics.js';
import { EMOTION_LABELS, GENDER_LABELS, scanSpeechDataset } from './datasets.js';
import { loadSpeechModel, predictClip } from './speech-serving.js';
import { trainAudio, type SpeechTask, type TrainAudioOptions, type TrainAudioResult } from './train-audio.js';

export type { TrainAudioOptions, TrainAudioResult } from './train-audio.js';

/** `streamlens train audio`: trains, cross-validates and publishes; writes the result JSON to stdout. */
export async function trainAudioCommand(options: TrainAudioOptions): Promise<TrainAudioResult> {
  const result = await trainAudio(options);
  process.stdout.write(JSON.stringify(result) + '\n');
  return result;
}

export interface EvalAudioOptions {
  /** Folder of labelled clips (default `<data>/ravdess`). */
  data?: string;
  /** Model name in the repository, or a version folder (default: the task name). */
  model?: string;
  version?: string;
  task?: SpeechTask;
  /** Models root (default models/). */
  root?: string;
  /** Evaluate at most this many clips per speaker. */
  maxClipsPerSpeaker?: number;
  /** Write the JSON to stdout (default true). */
  print?: boolean;
}

/**
 * Evaluates a published speech model on labelled clips through the serving path (ffmpeg ingest ->
 * shared extractor -> `loadClassifier` ONNX session with the manifest's normalisation); a clip's
 * prediction is the mean of its speech windows' probabilities.
 */
export async function evalAudio(options: EvalAudioOptions = {}): Promise<SpeechEvaluation & { model: { name: string; version: string }; task: SpeechTask }> {
  const task = options.task ?? 'emotion';
  const model = await loadSpeechModel(options.model ?? task, { version: options.version, root: options.root });
  try {
    let { clips } = scanSpeechDataset(options.data ?? join(dataRoot(), 'ravdess'));
    const labelOf = (c: (typeof clips)[number]) => (task === 'gender' ? c.gender : c.emotion);
    clips = clips.filter((c) => labelOf(c) !== undefined);
    if (options.maxClipsPerSpeaker) {
      const seen = new Map<string, number>();
      clips = clips.filter((c) => {
        const n = seen.get(c.speaker) ?? 0;
        seen.set(c.speaker, n + 1);
        return n < options.maxClipsPerSpeaker!;
      });
    }
    const known = new Set<string>(task === 'gender' ? GENDER_LABELS : EMOTION_LABELS);
    const unknown = model.labels.filter((l) => !known.has(l));
    if (unknown.length) throw new Error(`model ${model.version.manifest.name} has labels ${unknown.join(', ')} that are not ${task} labels`);
    const yTrue: string[] = [];
    const probs: Float32Array[] = [];
    for (const c of clips) {
      const p = await predictClip(model, c.path);
      if (!p.probs) throw new Error(`${c.path}: no feature window (clip shorter than ${model.settings.minFinalWindowSeconds} s?)`);
      yTrue.push(labelOf(c)!);
      probs.push(p.probs);
    }
    const ev = evaluateClips(model.labels, yTrue, probs);
    const out = { ...ev, task, model: { name: model.version.manifest.name, version: model.version.manifest.version } };
    if (options.print !== false) process.stdout.write(JSON.stringify(out) + '\n');
    return out;
  } finally {
    await model.close();
  }
}

export interface ClassifyAudioOptions {
  /** Audio file, URL or network stream (anything ffmpeg reads). */
  input: string;
  model?: string;
  version?: string;
  root?: string;
  streamId?: string;
  /** Pace the input in real time (default false: as fast as it decodes). */
  realtime?: boolean;
  /** Line sink (default stdout). */
  write?: (line: string) => void;
}

export interface ClassifyWindowLine {
  streamId: string;
  window: { start: number; end: number };
  label: string;
  scores: Record<string, number>;
  speech: boolean;
  rmsDb?: number;
}

export interface ClassifySummaryLine {
  summary: true;
  streamId: string;
  input: string;
  model: { name: string; version: string };
  windows: number;
  speechWindows: number;
  durationSec: number;
  /** Mean of the speech windows' probabilities; null label when no window was speech. */
  label: string | null;
  scores: Record<string, number>;
}

/**
 * Classifies a file/URL window by window through the live code path (ffmpeg ingest chunks ->
 * audio features stage -> served classifier -> the inference stage's decision rule), writing one
 * JSON line per window and a summary line.
 */
export async function classifyAudio(options: ClassifyAudioOptions): Promise<{ windows: ClassifyWindowLine[]; summary: ClassifySummaryLine }> {
  const write = options.write ?? ((l: string) => process.stdout.write(l + '\n'));
  const streamId = options.streamId ?? 'classify';
  const model = await loadSpeechModel(options.model ?? 'emotion', { version: options.version, root: options.root });
  const manifest = model.version.manifest;
  const stage = audioFeaturesStage({ settings: model.settings, featureKey: featureKeyOf(manifest.features) });
  const lines: ClassifyWindowLine[] = [];
  const speechProbs: Float32Array[] = [];
  let duration = 0;
  try {
    const source = openAudioFileSource(options.input, { realtime: options.realtime });
    const handle = async (msg: MessageOf<'audio.chunk'>) => {
      const [result] = await stage.process([{ message: msg, source: undefined as never }]);
      if (result instanceof Error) throw result;
      for (const out of result) {
        const w = out.message as MessageOf<'audio.window'>;
        let label = SILENCE_LABEL;
        let scores: Record<string, number> = {};
        if (w.meta.speech) {
          const [probs] = await model.classifier.predict([float32View(Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength))]);
          ({ label, scores } = decide(model.classifier, probs));
          speechProbs.push(probs);
        }
        const line: ClassifyWindowLine = { streamId, window: { start: w.meta.startSec, end: w.meta.endSec }, label, scores, speech: w.meta.speech, rmsDb: w.meta.rmsDb };
        lines.push(line);
        write(JSON.stringify(line));
      }
    };
    let held: MessageOf<'audio.chunk'> | undefined;
    for await (const chunk of source) {
      if (held) await handle(held);
      held = audioChunkMessage(streamId, chunk, false);
      duration = chunk.startSec + chunk.pcm.length / model.settings.sampleRate;
    }
    if (held) await handle({ ...held, meta: { ...held.meta, final: true } });
    const mean = meanProbabilities(speechProbs);
    const summary: ClassifySummaryLine = {
      summary: true,
      streamId,
      input: options.input,
      model: { name: manifest.name, version: manifest.version },
      windows: lines.length,
      speechWindows: speechProbs.length,
      durationSec: Math.round(duration * 1000) / 1000,
      label: mean ? model.labels[argmax(mean)] : null,
      scores: mean ? Object.fromEntries(model.labels.map((l, i) => [l, Math.round(mean[i] * 10000) / 10000])) : {},
    };
    write(JSON.stringify(summary));
    return { windows: lines, summary };
  } finally {
    await stage.close?.();
    await model.close();
  }
}
