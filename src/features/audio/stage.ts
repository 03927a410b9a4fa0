import type { MessageOf, Message } from '../../bus/envelope.js';
import { PermanentError, type StageDefinition, type StageInput, type StageResult } from '../../bus/stage-runner.js';
import { TOPICS } from '../../bus/topics.js';
import { stageMetrics } from '../../core/metrics.js';
import { featureKeyOf } from '../../models/manifest.js';
import { resolveModel } from '../../models/model-repository.js';
import { parseAudioFeatureSettings, type AudioFeatureSettings, type AudioFeatureSettingsInput } from './settings.js';
import { StreamingFeatureExtractor, type FeatureWindow } from './streaming-extractor.js';
import { DEFAULT_MODEL_BY_MEDIA } from '../../core/route.js';

export const AUDIO_FEATURES_STAGE = 'features:audio';

export interface AudioFeaturesStageOptions {
  /** Feature settings (the emotion model manifest's `features.settings`). */
  settings: AudioFeatureSettings | AudioFeatureSettingsInput;
  /** Key written into each window (default: featureKeyOf({kind:'audio', settings})), matched by the inference stage. */
  featureKey?: string;
  /** A stream with no chunk for this long is forgotten (ms, default 60000). */
  idleEvictMs?: number;
  /** Streams whose final chunk was seen are remembered this long so late redeliveries are recognised (ms, default 300000). */
  endedMemoryMs?: number;
  maxBatchSize?: number;
  now?: () => number;
}

interface StreamState {
  extractor: StreamingFeatureExtractor;
  /** Next chunk seq this stream expects. */
  nextSeq: number;
  /** Seconds to add to extractor times (the stream restarted after a gap). */
  offsetSec: number;
  lastSeen: number;
}

/** Counters of the stage, for tests and the dashboard. */
export interface AudioFeaturesStageStats {
  chunks: number;
  windows: number;
  duplicates: number;
  gaps: number;
  evicted: number;
  activeStreams: number;
}

/**
 * The audio features stage: `audio.chunk` (audio.chunks) -> `audio.window` (audio.windows).
 * One StreamingFeatureExtractor per stream id. Chunks are applied strictly in seq order: a chunk
 * whose seq is below the next expected one (a redelivery or a duplicate) is skipped and counted
 * (`streamlens_dropped_total{where="features:audio", reason="duplicate"}`); a jump forward (a live
 * source dropped chunks) restarts the stream's extractor at the chunk's time (reason "gap"), so no
 * window ever mixes audio from both sides of a hole. A final chunk flushes and forgets the stream;
 * idle streams are evicted after `idleEvictMs`.
 */
export function audioFeaturesStage(options: AudioFeaturesStageOptions): StageDefinition & { stats(): AudioFeaturesStageStats } {
  const settings = parseAudioFeatureSettings(options.settings as AudioFeatureSettingsInput);
  // Validate once, up front: unusable settings must fail at start, not per message.
  new StreamingFeatureExtractor(settings);
  const featureKey = options.featureKey ?? featureKeyOf({ kind: 'audio', settings: settings as unknown as Record<string, unknown> });
  const idleMs = options.idleEvictMs ?? 60000;
  const endedMs = options.endedMemoryMs ?? 300000;
  const now = options.now ?? Date.now;
  const streams = new Map<string, StreamState>();
  /** streamId -> {seq after the final chunk, when} */
  const ended = new Map<string, { nextSeq: number; at: number }>();
  const counters = { chunks: 0, windows: 0, duplicates: 0, gaps: 0, evicted: 0 };
  let lastSweep = now();
  // Grid windows start at whole hops; a shorter final window (which may start between two) takes the next slot.
  const windowSeqAt = (startSec: number) => Math.max(0, Math.ceil(startSec / settings.windowHopSeconds - 1e-6));

  const sweep = (t: number) => {
    if (t - lastSweep < Math.min(idleMs, endedMs) / 4) return;
    lastSweep = t;
    for (const [id, s] of streams) {
      if (t - s.lastSeen > idleMs) {
        streams.delete(id);
        counters.evicted++;
      }
    }
    for (const [id, e] of ended) if (t - e.at > endedMs) ended.delete(id);
  };

  const windowMessage = (chunk: MessageOf<'audio.chunk'>, state: StreamState, w: FeatureWindow): Message => ({
    type: 'audio.window',
    env: {
      streamId: chunk.env.streamId,
      // The window's place on the stream's time grid, not a counter: a redelivered or re-processed chunk
      // (another worker took the partition over) gives its windows the same seq, so repeats are recognised.
      seq: windowSeqAt(state.offsetSec + w.startSec),
      capturedAt: chunk.env.capturedAt,
      ...(chunk.env.stageTimes ? { stageTimes: { ...chunk.env.stageTimes } } : {}),
      ...(chunk.env.route ? { route: chunk.env.route } : {}),
    },
    meta: {
      shape: [w.framesPerWindow, w.nFeatures],
      startSec: round6(state.offsetSec + w.startSec),
      endSec: round6(state.offsetSec + w.endSec),
      speech: w.speech,
      rmsDb: round3(w.rmsDb),
      featureKey,
    },
    data: w.features,
  });

  const processChunk = (chunk: MessageOf<'audio.chunk'>): StageResult => {
    const { streamId, seq } = chunk.env;
    if (chunk.meta.sampleRate !== settings.sampleRate) {
      return new PermanentError(
        `audio.chunk of stream ${streamId} has sample rate ${chunk.meta.sampleRate}; the features stage needs ${settings.sampleRate} (ingest resamples with ffmpeg)`,
        'sample-rate',
      );
    }
    const t = now();
    let state = streams.get(streamId);
    if (!state) {
      const done = ended.get(streamId);
      if (done && seq < done.nextSeq) {
        counters.duplicates++;
        stageMetrics.dropped.inc({ where: AUDIO_FEATURES_STAGE, reason: 'duplicate' });
        return [];
      }
      ended.delete(streamId);
      state = { extractor: new StreamingFeatureExtractor(settings), nextSeq: seq, offsetSec: chunk.meta.startSec, lastSeen: t };
      streams.set(streamId, state);
    }
    state.lastSeen = t;
    if (seq < state.nextSeq) {
      counters.duplicates++;
      stageMetrics.dropped.inc({ where: AUDIO_FEATURES_STAGE, reason: 'duplicate' });
      return [];
    }
    if (seq > state.nextSeq) {
      // Missing chunks: restart the extractor at this chunk so windows never straddle the hole.
      counters.gaps++;
      stageMetrics.dropped.inc({ where: AUDIO_FEATURES_STAGE, reason: 'gap' }, seq - state.nextSeq);
      state.extractor.reset();
      state.offsetSec = chunk.meta.startSec;
    }
    state.nextSeq = seq + 1;
    counters.chunks++;
    const windows = state.extractor.push(chunk.pcm);
    if (chunk.meta.final) {
      windows.push(...state.extractor.flush());
      streams.delete(streamId);
      ended.set(streamId, { nextSeq: seq + 1, at: t });
    }
    counters.windows += windows.length;
    return windows.map((w) => ({ topic: TOPICS.audioWindows, message: windowMessage(chunk, state, w) }));
  };

  return {
    name: AUDIO_FEATURES_STAGE,
    input: TOPICS.audioChunks,
    accepts: ['audio.chunk'],
    maxBatchSize: options.maxBatchSize ?? 64,
    async process(batch: StageInput[]): Promise<StageResult[]> {
      const results = batch.map(({ message }) => {
        try {
          return processChunk(message as MessageOf<'audio.chunk'>);
        } catch (e) {
          // Bad PCM for this stream (e.g. non-finite); the stream's state was left unchanged by the extractor.
          return new PermanentError(`audio.chunk ${message.env.streamId}#${message.env.seq}: ${(e as Error).message}`, 'bad-audio');
        }
      });
      sweep(now());
      return results;
    },
    async close() {
      streams.clear();
      ended.clear();
    },
    stats: () => ({ ...counters, activeStreams: streams.size }),
  };
}

/** The stage with the settings of a served model (default: the newest version of the default audio model). */
export function audioFeaturesStageForModel(
  modelName: string = DEFAULT_MODEL_BY_MEDIA.audio,
  options: Omit<AudioFeaturesStageOptions, 'settings' | 'featureKey'> & { version?: string; root?: string } = {},
): ReturnType<typeof audioFeaturesStage> {
  const { manifest } = resolveModel(modelName, options.version, options.root);
  if (manifest.features.kind !== 'audio') throw new Error(`model ${modelName} takes ${manifest.features.kind} features, not audio`);
  return audioFeaturesStage({
    ...options,
    settings: manifest.features.settings as AudioFeatureSettingsInput,
    featureKey: featureKeyOf(manifest.features),
  });
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
