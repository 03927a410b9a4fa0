import { CHUNK_SAMPLES, INGEST_SAMPLE_RATE, type AudioChunk } from './audio-chunk.js';

/**
 * Cuts a byte stream of signed 16-bit little-endian mono PCM (in pieces of any size, odd byte
 * counts included) into fixed-size chunks. Keeps at most one partial chunk in memory.
 */
export class PcmChunker {
  private readonly pending: Int16Array;
  private filled = 0;
  /** A dangling low byte when a piece ended mid-sample. */
  private oddByte: number | null = null;
  private seq = 0;
  private samplesEmitted = 0;

  constructor(
    readonly chunkSamples = CHUNK_SAMPLES,
    readonly sampleRate = INGEST_SAMPLE_RATE,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(chunkSamples) || chunkSamples <= 0) throw new Error(`chunkSamples must be a positive integer, got ${chunkSamples}`);
    this.pending = new Int16Array(chunkSamples);
  }

  /** Number of complete chunks emitted so far. */
  get chunksEmitted(): number {
    return this.seq;
  }

  /** Feeds raw little-endian bytes; returns the chunks completed by them. */
  pushBytes(bytes: Uint8Array): AudioChunk[] {
    const out: AudioChunk[] = [];
    let i = 0;
    if (this.oddByte !== null && bytes.length > 0) {
      this.pushSample(((bytes[0] << 8) | this.oddByte) << 16 >> 16, out);
      this.oddByte = null;
      i = 1;
    }
    for (; i + 1 < bytes.length; i += 2) this.pushSample(((bytes[i + 1] << 8) | bytes[i]) << 16 >> 16, out);
    if (i < bytes.length) this.oddByte = bytes[i];
    return out;
  }

  /** Feeds samples; returns the chunks completed by them. */
  pushSamples(samples: Int16Array): AudioChunk[] {
    if (this.oddByte !== null) throw new Error('PcmChunker: pushSamples after an odd number of bytes');
    const out: AudioChunk[] = [];
    let i = 0;
    while (i < samples.length) {
      const n = Math.min(this.chunkSamples - this.filled, samples.length - i);
      this.pending.set(samples.subarray(i, i + n), this.filled);
      this.filled += n;
      i += n;
      if (this.filled === this.chunkSamples) out.push(this.emit());
    }
    return out;
  }

  /** The last partial chunk (shorter than chunkSamples), or null when nothing is pending. */
  flush(): AudioChunk | null {
    if (this.filled === 0) return null;
    return this.emit();
  }

  private pushSample(v: number, out: AudioChunk[]): void {
    this.pending[this.filled++] = v;
    if (this.filled === this.chunkSamples) out.push(this.emit());
  }

  private emit(): AudioChunk {
    const pcm = this.pending.slice(0, this.filled);
    const chunk: AudioChunk = { pcm, startSec: this.samplesEmitted / this.sampleRate, seq: this.seq++, capturedAt: this.now() };
    this.samplesEmitted += this.filled;
    this.filled = 0;
    return chunk;
  }
}
