import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus, Producer } from '../bus/bus.js';
import { encodeMessage, type MessageOf } from '../bus/envelope.js';
import { TOPICS } from '../bus/topics.js';
import { stageMetrics } from '../core/metrics.js';
import type { Route } from '../core/route.js';
import { sendDurably } from './durable-send.js';
import { INGEST_SAMPLE_RATE, type AudioChunk, type AudioSource } from './audio-chunk.js';
import { LivePcmSource, type LivePcmSourceOptions } from './live-pcm-source.js';

/** Consumer group of the audio features stage (StageRunner names groups `streamlens.<stage>`). */
export const AUDIO_FEATURES_GROUP = 'streamlens.features:audio';

export interface PublishAudioOptions {
  /** Default `audio.chunks`. */
  topic?: string;
  /** Group whose lag on `topic` is watched (default the audio features stage's). */
  lagGroupId?: string;
  /** Above this many uncommitted chunks file sources wait and live sources drop (default 300 = 30 s of one stream). */
  maxLag?: number;
  /** How often lag is re-read (ms, default 200). */
  lagPollMs?: number;
  /** Stops publishing (the source is closed; a final chunk is still sent). */
  signal?: AbortSignal;
  /** Reuse a producer (default: a new one from the bus). */
  producer?: Producer;
  /** The stream's model route, carried in every chunk's envelope (src/core/route.ts). */
  route?: Route;
}

export interface PublishAudioResult {
  streamId: string;
  /** Chunk messages sent (including an empty final marker, if one was needed). */
  chunks: number;
  /** Live chunks dropped because the consumer lagged. */
  dropped: number;
  /** Audio seconds published. */
  seconds: number;
  /** Milliseconds file publishing spent waiting for the consumer. */
  waitedMs: number;
}

export function audioChunkMessage(streamId: string, chunk: AudioChunk, final: boolean, route?: Route): MessageOf<'audio.chunk'> {
  return {
    type: 'audio.chunk',
    env: { streamId, seq: chunk.seq, capturedAt: chunk.capturedAt, ...(route ? { route } : {}) },
    meta: { sampleRate: INGEST_SAMPLE_RATE, channels: 1, startSec: chunk.startSec, ...(final ? { final: true } : {}) },
    pcm: chunk.pcm,
  };
}

/**
 * Publishes a source's chunks as `audio.chunk` messages on `audio.chunks`, keyed by stream id,
 * with seq and capturedAt; the last message carries `final: true`.
 *
 * - Sources that are not real-time (files decoded as fast as possible) are read one chunk ahead so
 *   the flag sits on the last audio chunk; they wait (backpressure) while the consumer lag is above
 *   `maxLag`.
 * - Real-time sources (live, paced files) publish each chunk at once and end with an empty
 *   (0-sample) final chunk; they never wait: while the lag is above `maxLag` chunks are dropped and
 *   counted in `streamlens_dropped_total{where="audio-publish", reason="consumer-lag"}`.
 */
export async function publishAudioSource(
  bus: Bus,
  streamId: string,
  source: AudioSource,
  options: PublishAudioOptions = {},
): Promise<PublishAudioResult> {
  if (!streamId) throw new Error('publishAudioSource: streamId is required');
  const topic = options.topic ?? TOPICS.audioChunks;
  const group = options.lagGroupId ?? AUDIO_FEATURES_GROUP;
  const maxLag = options.maxLag ?? 300;
  const pollMs = options.lagPollMs ?? 200;
  const producer = options.producer ?? bus.producer();
  const result: PublishAudioResult = { streamId, chunks: 0, dropped: 0, seconds: 0, waitedMs: 0 };

  let lag = 0;
  let lagReadAt = -Infinity;
  let lagReading: Promise<void> | undefined;
  const refreshLag = (): Promise<void> => {
    lagReading ??= bus.lag(group, topic).then(
      (v) => {
        lag = v;
        lagReadAt = performance.now();
        lagReading = undefined;
      },
      () => {
        lagReading = undefined;
      },
    );
    return lagReading;
  };
  const lagIsStale = () => Number.isFinite(maxLag) && performance.now() - lagReadAt > pollMs;

  let nextSeq = 0;
  let lastStartSec = 0;
  const send = async (chunk: AudioChunk, final: boolean) => {
    // The bus being down pauses the source (a live one drops what it cannot queue); nothing sent is skipped.
    await sendDurably(producer, topic, [encodeMessage(audioChunkMessage(streamId, chunk, final, options.route))], { signal: options.signal, source: streamId });
    result.chunks++;
    lag++;
    result.seconds += chunk.pcm.length / INGEST_SAMPLE_RATE;
    nextSeq = chunk.seq + 1;
    lastStartSec = chunk.startSec + chunk.pcm.length / INGEST_SAMPLE_RATE;
  };

  const onAbort = () => void source.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (!source.realtime) {
      let held: AudioChunk | undefined;
      for await (const chunk of source) {
        if (held) {
          // `lag` also counts what this publisher sent since the last reading, so a fast reader of
          // a fast source cannot overshoot maxLag between two readings.
          if (lagIsStale() || lag >= maxLag) await refreshLag();
          if (lag >= maxLag) {
            const t = performance.now();
            while (lag >= maxLag && !options.signal?.aborted) {
              await sleep(pollMs);
              await refreshLag();
            }
            result.waitedMs += performance.now() - t;
          }
          await send(held, false);
        }
        held = chunk;
      }
      if (held) await send(held, true);
      else await send({ pcm: new Int16Array(0), startSec: 0, seq: 0, capturedAt: Date.now() }, true);
    } else {
      for await (const chunk of source) {
        if (lagIsStale()) void refreshLag(); // never wait on a live source
        if (lag > maxLag) {
          result.dropped++;
          stageMetrics.dropped.inc({ where: 'audio-publish', reason: 'consumer-lag' });
          nextSeq = chunk.seq + 1;
          continue;
        }
        await send(chunk, false);
      }
      await send({ pcm: new Int16Array(0), startSec: lastStartSec, seq: nextSeq, capturedAt: Date.now() }, true);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  return result;
}

export interface PcmPushStream {
  /** Received bytes (Int16 little-endian, 16 kHz mono) or samples. Never blocks. */
  push(data: Uint8Array | Int16Array): void;
  /** The client finished: flush and send the final chunk. */
  end(): void;
  /** Resolves when the final chunk is published. */
  done: Promise<PublishAudioResult>;
  source: LivePcmSource;
}

/**
 * For the gateway: turns PCM buffers received from a browser (WebSocket) into chunks published
 * through exactly the same code path as files and microphones (a live source).
 */
export function publishPcmPushStream(
  bus: Bus,
  streamId: string,
  options: PublishAudioOptions & Omit<LivePcmSourceOptions, 'description'> = {},
): PcmPushStream {
  const source = new LivePcmSource({ ...options, description: `browser stream ${streamId}` });
  const done = publishAudioSource(bus, streamId, source, options);
  return { push: (d) => source.push(d), end: () => source.end(), done, source };
}
