import { join, resolve } from 'node:path';
import type { MessageOf } from '../../bus/envelope.js';
import { dataRoot } from '../../core/paths.js';
import { audioFeaturesStage } from '../../features/audio/stage.js';
import { float32View } from '../../bus/envelope.js';
import { openAudioFileSource } from '../../ingest/audio-file-source.js';
import { audioChunkMessage } from '../../ingest/publish-audio.js';
import { featureKeyOf } from '../../models/manifest.js';
import { decide, SILENCE_LABEL } from '../../inference/stage.js';
import { argmax, evaluateClips, meanProbabilities, type SpeechEvaluation } from './clip-metrics.js';
import { EMOTION_LABELS, GENDER_LABELS, scanSpeechDataset, type SpeechClip } from './datasets.js';
import { type EvalSubset, partitionBySpeaker, type SpeakerPartition } from './seen-speakers.js';
import { loadSpeechModel, predictClip, type SpeechModel } from './speech-serving.js';
import { trainAudio, type SpeechTask, type TrainAudioOptions, type TrainAudioResult } from './train-audio.js';
import { DEFAULT_MODEL_BY_MEDIA } from '../../core/route.js';

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
  /** 'all' (default) or only the clips of speakers the model was not trained on (see seen-speakers.ts). */
  subset?: EvalSubset;
  /** Write the JSON to stdout (default true). */
  print?: boolean;
}

export type EvalAudioResult = SpeechEvaluation & {
  model: { name: string; version: string };
  task: SpeechTask;
  data: string;
} & Omit<SpeakerPartition<SpeechClip>, 'clips'>;

/**
 * Evaluates a published speech model on labelled clips through the serving path (ffmpeg ingest ->
 * shared extractor -> `loadClassifier` ONNX session with the manifest's normalisation); a clip's
 * prediction is the mean of its speech windows' probabilities.
 */
export async function evalAudio(options: EvalAudioOptions = {}): Promise<EvalAudioResult> {
  const task = options.task ?? 'emotion';
  const model = await loadSpeechModel(options.model ?? task, { version: options.version, root: options.root });
  try {
    const data = resolve(options.data ?? join(dataRoot(), 'ravdess'));
    let { clips } = scanSpeechDataset(data);
    const labelOf = (c: (typeof clips)[number]) => (task === 'gender' ? c.gender : c.emotion);
    clips = clips.filter((c) => labelOf(c) !== undefined);
    if (clips.length === 0) throw new Error(`no ${task}-labelled clip in ${data} (RAVDESS, CREMA-D, TESS or SAVEE file names, or one folder per label)`);
    const { clips: evaluated, ...partition } = partitionBySpeaker(clips, model.version.manifest, options.subset ?? 'all', data);
    clips = evaluated;
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
    const out: EvalAudioResult = { ...ev, task, model: { name: model.version.manifest.name, version: model.version.manifest.version }, data, ...partition };
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
  const model = await loadSpeechModel(options.model ?? DEFAULT_MODEL_BY_MEDIA.audio, { version: options.version, root: options.root });
  try {
    return await classifyAudioWith(model, options);
  } finally {
    await model.close();
  }
}

export interface ClassifyAudioInputsOptions extends Omit<ClassifyAudioOptions, 'input' | 'streamId'> {
  /** Audio files, URLs or network streams, classified one after the other with one model load. */
  inputs: string[];
  /** Called for an input that failed (its error line is written too); the others go on. */
  onError?: (input: string, message: string, error: unknown) => void;
}

export type ClassifyAudioInputResult = { input: string; summary: ClassifySummaryLine } | { input: string; error: string };

/**
 * `streamlens classify audio INPUT...`: JSON lines per input (windows, then its summary line), or
 * one `{input, error}` line for an input that cannot be classified (not audio, too short, missing).
 */
export async function classifyAudioInputs(options: ClassifyAudioInputsOptions): Promise<ClassifyAudioInputResult[]> {
  if (!options.inputs?.length) throw new Error('classify audio: give at least one audio file or URL');
  const write = options.write ?? ((l: string) => process.stdout.write(l + '\n'));
  const model = await loadSpeechModel(options.model ?? DEFAULT_MODEL_BY_MEDIA.audio, { version: options.version, root: options.root });
  const out: ClassifyAudioInputResult[] = [];
  try {
    for (const [i, input] of options.inputs.entries()) {
      try {
        const { summary } = await classifyAudioWith(model, { ...options, input, write, streamId: options.inputs.length > 1 ? `classify-${i + 1}` : 'classify' });
        out.push({ input, summary });
      } catch (e) {
        const error = explainAudioInputError(input, e);
        write(JSON.stringify({ input, error }));
        out.push({ input, error });
        options.onError?.(input, error, e);
      }
    }
  } finally {
    await model.close();
  }
  return out;
}

/** One line saying what is wrong with an audio input and what to give instead. */
export function explainAudioInputError(input: string, e: unknown): string {
  const msg = (e as Error)?.message ?? String(e);
  if (/^ffmpeg could not decode|^no audio decoded/.test(msg)) {
    const lines = msg.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    let detail = lines[lines.length - 1] ?? '';
    if (/^no audio decoded/.test(msg) && lines.length === 1) detail = 'no audio stream in it';
    else if (lines.length === 1 && detail.includes('): ')) detail = detail.slice(detail.indexOf('): ') + 3);
    detail = detail.split(`${input}: `).join('');
    return `${input}: not audio that ffmpeg can decode${detail ? ` (${detail})` : ''}; give a WAV, MP3, FLAC, OGG or M4A file, or a stream URL`;
  }
  if (/^audio file not found/.test(msg)) return `${input}: no such file; check the path`;
  if (/^audio input is not a file/.test(msg)) return `${input}: is a folder, not an audio file; give the audio files themselves`;
  return msg.split(/\r?\n/)[0];
}

async function classifyAudioWith(model: SpeechModel, options: ClassifyAudioOptions): Promise<{ windows: ClassifyWindowLine[]; summary: ClassifySummaryLine }> {
  const write = options.write ?? ((l: string) => process.stdout.write(l + '\n'));
  const streamId = options.streamId ?? 'classify';
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
    if (lines.length === 0) {
      throw new Error(
        `${options.input}: only ${duration.toFixed(2)} s of audio; a feature window needs at least ${model.settings.minFinalWindowSeconds} s, give a longer clip`,
      );
    }
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
  }
}
