import { stageMetrics } from '../core/metrics.js';
import { CHUNK_SAMPLES, INGEST_SAMPLE_RATE, type AudioChunk, type AudioSource } from './audio-chunk.js';
import { PcmChunker } from './pcm-chunker.js';

export interface LivePcmSourceOptions {
  description?: string;
  chunkSamples?: number;
  /** Chunks buffered for a slow reader before the oldest is dropped (default 50 = 5 s). */
  maxQueuedChunks?: number;
  /** `where` label of the dropped-items metric (default "audio-ingest"). */
  metricsWhere?: string;
}

/**
 * A live PCM source fed by pushes (microphone process, browser WebSocket): 16 kHz mono s16le
 * bytes in any piece sizes -> ~100 ms chunks. It never blocks the producer: when the reader falls
 * behind by more than `maxQueuedChunks`, the oldest chunks are dropped and counted in
 * `streamlens_dropped_total{where, reason="queue-full"}`.
 */
export class LivePcmSource implements AudioSource {
  readonly kind = 'live' as const;
  readonly realtime = true;
  readonly description: string;
  private readonly chunker: PcmChunker;
  private readonly queue: AudioChunk[] = [];
  private readonly maxQueued: number;
  private readonly where: string;
  private waiter?: () => void;
  private ended = false;
  private failure?: Error;
  private iterated = false;
  /** Chunks dropped because the reader was too slow. */
  dropped = 0;

  constructor(options: LivePcmSourceOptions = {}) {
    this.description = options.description ?? 'live PCM';
    this.chunker = new PcmChunker(options.chunkSamples ?? CHUNK_SAMPLES, INGEST_SAMPLE_RATE);
    this.maxQueued = options.maxQueuedChunks ?? 50;
    this.where = options.metricsWhere ?? 'audio-ingest';
    if (!(this.maxQueued >= 1)) throw new Error(`maxQueuedChunks must be >= 1, got ${options.maxQueuedChunks}`);
  }

  /** Little-endian Int16 bytes (a Buffer / Uint8Array) or samples. Ignored after end(). */
  push(data: Uint8Array | Int16Array): void {
    if (this.ended) return;
    const chunks = data instanceof Int16Array ? this.chunker.pushSamples(data) : this.chunker.pushBytes(data);
    for (const c of chunks) this.enqueue(c);
  }

  /** No more audio: flushes the partial chunk; iteration ends after the queue drains. */
  end(): void {
    if (this.ended) return;
    const last = this.chunker.flush();
    if (last) this.enqueue(last);
    this.ended = true;
    this.wake();
  }

  /** Ends iteration with an error (e.g. the recorder process died). */
  fail(error: Error): void {
    if (this.ended) return;
    this.failure = error;
    this.ended = true;
    this.wake();
  }

  async close(): Promise<void> {
    this.queue.length = 0;
    this.end();
  }

  private enqueue(c: AudioChunk): void {
    this.queue.push(c);
    while (this.queue.length > this.maxQueued) {
      this.queue.shift();
      this.dropped++;
      stageMetrics.dropped.inc({ where: this.where, reason: 'queue-full' });
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<AudioChunk> {
    if (this.iterated) throw new Error(`audio source ${this.description} can be iterated only once`);
    this.iterated = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<AudioChunk> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.ended) {
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((r) => (this.waiter = r));
    }
  }
}
