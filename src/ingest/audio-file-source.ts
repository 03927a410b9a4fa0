import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CHUNK_SAMPLES, INGEST_SAMPLE_RATE, type AudioChunk, type AudioSource } from './audio-chunk.js';
import { ffmpegPath } from './ffmpeg-path.js';
import { PcmChunker } from './pcm-chunker.js';
import { redactSecrets, redactUrl, registerUrlSecrets } from '../core/redact.js';

export interface AudioFileSourceOptions {
  /** Release chunks at the pace of real time (live demos). Default false: as fast as decoded. */
  realtime?: boolean;
  /** Samples per chunk (default 1600 = 100 ms at 16 kHz). */
  chunkSamples?: number;
  /** Kill ffmpeg and fail when it produces no audio for this long (ms). Default 20000. */
  stallTimeoutMs?: number;
  /** Socket read/write timeout passed to ffmpeg for URLs (ms). Default 10000. */
  networkTimeoutMs?: number;
  /** Stops the source early (ends iteration quietly). */
  signal?: AbortSignal;
}

const URL_PATTERN = /^[a-z][a-z0-9+.-]*:\/\//i;
const STDERR_KEEP_BYTES = 4000;

export function isUrl(input: string): boolean {
  return URL_PATTERN.test(input);
}

/** The exact ffmpeg arguments used to decode `input` to 16 kHz mono s16le on stdout. */
export function ffmpegDecodeArgs(input: string, networkTimeoutMs = 10000): string[] {
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin'];
  if (isUrl(input)) {
    const micros = String(Math.round(networkTimeoutMs * 1000));
    args.push('-rw_timeout', micros);
    if (/^https?:/i.test(input)) args.push('-timeout', micros);
  }
  args.push('-i', input, '-vn', '-ac', '1', '-ar', String(INGEST_SAMPLE_RATE), '-f', 's16le', '-');
  return args;
}

/**
 * Any audio file, URL or network stream, decoded by ffmpeg to 16 kHz mono 16-bit PCM (ffmpeg
 * resamples and downmixes), as ~100 ms chunks. Streams: only one chunk (plus the pipe buffer) is
 * in memory at a time. A corrupt or non-audio input fails with ffmpeg's own message; a source that
 * stops delivering audio fails after `stallTimeoutMs` instead of hanging.
 */
export function openAudioFileSource(input: string, options: AudioFileSourceOptions = {}): AudioSource {
  if (typeof input !== 'string' || input.length === 0) throw new Error('audio input must be a file path or URL');
  if (!isUrl(input)) {
    if (!existsSync(input)) throw new Error(`audio file not found: ${input}`);
    if (!statSync(input).isFile()) throw new Error(`audio input is not a file: ${input}`);
  } else {
    registerUrlSecrets(input);
  }
  return new FfmpegAudioSource(input, options);
}

class FfmpegAudioSource implements AudioSource {
  readonly kind = 'file' as const;
  readonly realtime: boolean;
  private proc?: ChildProcess;
  private started = false;
  private closed = false;

  /** What messages print: the input, URLs without credentials (src/core/redact.ts). */
  readonly description: string;

  constructor(
    private readonly input: string,
    private readonly options: AudioFileSourceOptions,
  ) {
    this.description = redactUrl(input);
    this.realtime = options.realtime ?? false;
  }

  async close(): Promise<void> {
    this.closed = true;
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once('close', r));
      p.kill('SIGKILL');
      await exited;
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<AudioChunk> {
    if (this.started) throw new Error(`audio source ${this.description} can be iterated only once`);
    this.started = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<AudioChunk> {
    const o = this.options;
    const input = this.description;
    const chunker = new PcmChunker(o.chunkSamples ?? CHUNK_SAMPLES, INGEST_SAMPLE_RATE);
    const stallMs = o.stallTimeoutMs ?? 20000;
    const proc = spawn(ffmpegPath(), ffmpegDecodeArgs(this.input, o.networkTimeoutMs ?? 10000), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let stderr = '';
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (s: string) => {
      stderr = redactSecrets((stderr + s).slice(-STDERR_KEEP_BYTES));
    });
    let spawnError: Error | undefined;
    proc.once('error', (e) => {
      spawnError = e;
    });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.once('close', (code, signal) => resolve({ code, signal })),
    );
    let stalled = false;
    let watchdog: NodeJS.Timeout | undefined;
    const arm = () => {
      if (watchdog) clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        stalled = true;
        proc.kill('SIGKILL');
      }, stallMs);
    };
    const onAbort = () => void this.close();
    o.signal?.addEventListener('abort', onAbort, { once: true });

    const t0 = performance.now();
    const epoch0 = Date.now();
    const pace = async (chunk: AudioChunk): Promise<AudioChunk> => {
      if (o.realtime) {
        const dueMs = ((chunk.startSec * INGEST_SAMPLE_RATE + chunk.pcm.length) / INGEST_SAMPLE_RATE) * 1000;
        const wait = dueMs - (performance.now() - t0);
        if (wait > 1) {
          if (watchdog) clearTimeout(watchdog);
          await sleep(wait);
          arm();
        }
      }
      chunk.capturedAt = o.realtime ? epoch0 + (performance.now() - t0) : Date.now();
      return chunk;
    };

    try {
      arm();
      for await (const piece of proc.stdout! as AsyncIterable<Buffer>) {
        arm();
        for (const chunk of chunker.pushBytes(piece)) {
          if (this.closed) return;
          yield await pace(chunk);
        }
      }
      if (watchdog) clearTimeout(watchdog);
      const { code, signal } = await exit;
      if (this.closed) return;
      if (spawnError) throw new Error(`could not start ffmpeg for ${input}: ${redactSecrets(spawnError.message)}`);
      if (stalled) {
        throw new Error(
          `ffmpeg produced no audio from ${input} for ${stallMs} ms; gave up (stalled or unreachable source)` + (stderr ? `: ${stderr.trim()}` : ''),
        );
      }
      if (code !== 0) {
        throw new Error(`ffmpeg could not decode ${input} (exit ${code ?? signal}): ${stderr.trim() || 'no error output'}`);
      }
      const last = chunker.flush();
      if (last) yield await pace(last);
      if (chunker.chunksEmitted === 0) throw new Error(`no audio decoded from ${input}` + (stderr ? `: ${stderr.trim()}` : ' (empty audio stream)'));
    } finally {
      if (watchdog) clearTimeout(watchdog);
      o.signal?.removeEventListener('abort', onAbort);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exit;
      }
    }
  }
}

/** Decodes a whole (short) file to one Int16Array, through the same ffmpeg path as streaming. */
export async function decodeAudioFile(input: string, options: Omit<AudioFileSourceOptions, 'realtime'> = {}): Promise<Int16Array> {
  const parts: Int16Array[] = [];
  let n = 0;
  for await (const c of openAudioFileSource(input, { ...options, realtime: false })) {
    parts.push(c.pcm);
    n += c.pcm.length;
  }
  const out = new Int16Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
