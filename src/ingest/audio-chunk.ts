import { CHUNK_SAMPLES, PIPELINE_SAMPLE_RATE } from '../core/audio-format.js';

/** Sample rate of every PCM stream inside streamlens (src/core/audio-format.ts; ffmpeg resamples to it). */
export const INGEST_SAMPLE_RATE = PIPELINE_SAMPLE_RATE;
export { CHUNK_SAMPLES };

/** ~100 ms of mono 16 kHz PCM as produced by every audio source. */
export interface AudioChunk {
  pcm: Int16Array;
  /** Seconds since the stream started, of the chunk's first sample. */
  startSec: number;
  /** 0, 1, 2, ... in production order (a live source that drops chunks leaves gaps). */
  seq: number;
  /** Epoch ms when the chunk was captured (live) or released by the pacer (files). */
  capturedAt: number;
}

/**
 * An audio source: an async iterable of chunks. `live` sources (microphone, browser) cannot be
 * paused, so publishing never waits on them; file/URL sources can, and wait under backpressure.
 */
export interface AudioSource extends AsyncIterable<AudioChunk> {
  readonly kind: 'file' | 'live';
  /** Chunks arrive at the pace of real time (live sources, paced files): publish each at once. */
  readonly realtime: boolean;
  /** Human-readable origin (file path, URL, "microphone"). */
  readonly description: string;
  /** Stops the source (kills its process); iteration ends. Safe to call twice. */
  close(): Promise<void>;
}
