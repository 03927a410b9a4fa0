import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { ffmpegPath as bundledFfmpegPath } from './ffmpeg-path.js';
import { existsSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { CapturedFrame, FrameSource } from './frame.js';
import { JpegSplitter } from './jpeg-splitter.js';
import { redactSecrets, redactUrl, registerUrlSecrets } from '../core/redact.js';

/**
 * Frames from a webcam, a video file or a network stream (RTSP/HTTP/HLS), decoded by ffmpeg and
 * re-encoded as JPEG at a fixed rate:
 *
 *   ffmpeg [input options] -i INPUT -an -vf fps=5 -f image2pipe -c:v mjpeg -q:v 5 -
 *
 * and the pipe split on JPEG markers. Cameras by platform:
 *   Linux   -f v4l2 -i /dev/video0                 (`camera:/dev/video0`, `camera:0`)
 *   macOS   -f avfoundation -framerate 30 -i "0"   (`camera:0`)
 *   Windows -f dshow -i video="Integrated Camera"  (`camera:Integrated Camera`)
 * The bundled ffmpeg (@ffmpeg-installer/ffmpeg) is used unless FFMPEG_PATH names another.
 */
export type VideoInput =
  | { kind: 'camera'; device: string; format?: 'v4l2' | 'avfoundation' | 'dshow' }
  | { kind: 'file'; path: string }
  | { kind: 'url'; url: string };

export interface VideoSourceOptions {
  /** Output frames per second (default 5). */
  fps?: number;
  /** ffmpeg mjpeg quality, 2 (best) .. 31 (default 5). */
  quality?: number;
  /** Scale frames to this width (height keeps the aspect ratio); default: as captured. */
  width?: number;
  /** No first frame within this time -> error (default 10 s). */
  openTimeoutMs?: number;
  /** A live source that delivers nothing for this long -> error (default 10 s). */
  stallTimeoutMs?: number;
  /** Network read/connect timeout passed to ffmpeg (default 5 s). */
  networkTimeoutMs?: number;
  /** Read a file at its native rate (ffmpeg -re) instead of as fast as possible. */
  realtime?: boolean;
  /** Frames buffered when the consumer is slower than the source before the pipe is paused (default 8). */
  maxBufferedFrames?: number;
  /** Override the ffmpeg binary (else FFMPEG_PATH, else the bundled one). */
  ffmpegPath?: string;
}

export class VideoSourceError extends Error {
  constructor(
    message: string,
    readonly reason: 'not-found' | 'timeout' | 'ffmpeg-exit' | 'stalled' | 'bad-stream' | 'spawn',
  ) {
    super(message);
    this.name = 'VideoSourceError';
  }
}

/** The ffmpeg binary (see ./ffmpeg-path.ts); `override` wins, failures become VideoSourceError. */
export function ffmpegPath(override?: string): string {
  if (override) return override;
  try {
    return bundledFfmpegPath();
  } catch (e) {
    throw new VideoSourceError((e as Error).message, 'spawn');
  }
}

const URL_SCHEME = /^(rtsp|rtsps|rtmp|rtmps|http|https|tcp|udp|srt|hls\+https?):\/\//i;

/**
 * Parses a source string: `camera:<device>` (or `/dev/videoN`), a URL (rtsp://, http(s)://, ...),
 * or a path to a video file.
 */
export function parseVideoInput(spec: string | VideoInput): VideoInput {
  if (typeof spec !== 'string') return spec;
  if (spec.startsWith('camera:')) return { kind: 'camera', device: spec.slice('camera:'.length) || defaultCameraDevice() };
  if (/^\/dev\/video\d+$/.test(spec)) return { kind: 'camera', device: spec };
  if (URL_SCHEME.test(spec)) return { kind: 'url', url: spec };
  return { kind: 'file', path: spec };
}

function defaultCameraDevice(): string {
  return process.platform === 'linux' ? '/dev/video0' : '0';
}

export function describeVideoInput(input: VideoInput): string {
  if (input.kind === 'camera') return `camera ${input.device}`;
  if (input.kind === 'file') return `video file ${input.path}`;
  return `stream ${redactUrl(input.url)}`;
}

/** ffmpeg arguments for an input (everything up to and including -i). Exported for tests and docs. */
export function ffmpegInputArgs(input: VideoInput, o: VideoSourceOptions = {}): string[] {
  const netUs = String(Math.round((o.networkTimeoutMs ?? 5000) * 1000));
  switch (input.kind) {
    case 'camera': {
      const format = input.format ?? (process.platform === 'darwin' ? 'avfoundation' : process.platform === 'win32' ? 'dshow' : 'v4l2');
      if (format === 'v4l2') {
        const dev = /^\d+$/.test(input.device) ? `/dev/video${input.device}` : input.device;
        return ['-f', 'v4l2', '-i', dev];
      }
      if (format === 'avfoundation') return ['-f', 'avfoundation', '-framerate', '30', '-i', input.device];
      return ['-f', 'dshow', '-i', `video=${input.device}`];
    }
    case 'file':
      return [...(o.realtime ? ['-re'] : []), '-i', input.path];
    case 'url': {
      const u = input.url.toLowerCase();
      if (u.startsWith('rtsp')) {
        // -rw_timeout bounds every network read; the RTSP control connection goes over TCP.
        return ['-rtsp_transport', 'tcp', '-rw_timeout', netUs, '-i', input.url];
      }
      if (u.startsWith('http')) {
        // HTTP and HLS: -rw_timeout (reads), -timeout (socket) in microseconds; reconnect is left off so a dead URL fails.
        return ['-rw_timeout', netUs, '-timeout', netUs, '-i', input.url];
      }
      return ['-rw_timeout', netUs, '-i', input.url];
    }
  }
}

export function ffmpegArgs(input: VideoInput, o: VideoSourceOptions = {}): string[] {
  const fps = o.fps ?? 5;
  const filters = [`fps=${fps}`];
  if (o.width) filters.push(`scale=${o.width}:-2`);
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...ffmpegInputArgs(input, o),
    '-an',
    '-vf',
    filters.join(','),
    '-f',
    'image2pipe',
    '-c:v',
    'mjpeg',
    '-q:v',
    String(o.quality ?? 5),
    '-',
  ];
}

/** Opens a video source. Nothing runs until it is iterated. */
export function openVideoSource(spec: string | VideoInput, options: VideoSourceOptions = {}): FrameSource {
  const input = parseVideoInput(spec);
  // Whatever prints this source (messages, logs) shows the redacted form; ffmpeg's stderr is redacted too.
  if (input.kind === 'url') registerUrlSecrets(input.url);
  const description = describeVideoInput(input);
  const fps = options.fps ?? 5;
  if (!(fps > 0 && fps <= 120)) throw new VideoSourceError(`${description}: fps must be in (0, 120], got ${fps}`, 'bad-stream');
  if (input.kind === 'file') {
    if (!existsSync(input.path) || !statSync(input.path).isFile()) throw new VideoSourceError(`${description}: no such file`, 'not-found');
  }
  if (input.kind === 'camera' && process.platform === 'linux') {
    const dev = /^\d+$/.test(input.device) ? `/dev/video${input.device}` : input.device;
    if (!existsSync(dev)) throw new VideoSourceError(`${description}: no such camera device (${dev} does not exist)`, 'not-found');
  }
  const live = input.kind !== 'file' || options.realtime === true;
  let child: ChildProcessByStdio<null, Readable, Readable> | undefined;
  let closed = false;

  async function* frames(): AsyncGenerator<CapturedFrame> {
    const bin = ffmpegPath(options.ffmpegPath);
    child = spawn(bin, ffmpegArgs(input, options), { stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = child;
    const splitter = new JpegSplitter();
    const queue: CapturedFrame[] = [];
    let stderrTail = '';
    let failure: Error | undefined;
    let ended = false;
    let wake: (() => void) | undefined;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const fail = (e: Error) => {
      if (!failure && !closed) failure = e;
      ended = true;
      proc.kill('SIGKILL');
      notify();
    };
    let seq = 0;
    let lastFrameAt = Date.now();
    const startedAt = Date.now();
    const maxBuffered = options.maxBufferedFrames ?? 8;
    proc.stdout.on('data', (chunk: Buffer) => {
      let got: Buffer[];
      try {
        got = splitter.push(chunk);
      } catch (e) {
        fail(new VideoSourceError(`${description}: ${(e as Error).message}`, 'bad-stream'));
        return;
      }
      const now = Date.now();
      for (const jpeg of got) {
        queue.push({ jpeg, seq, capturedAt: now, ptsSec: seq / fps });
        seq++;
        lastFrameAt = now;
      }
      if (queue.length >= maxBuffered) proc.stdout.pause();
      if (got.length) notify();
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    proc.on('error', (e) => fail(new VideoSourceError(`${description}: cannot start ffmpeg (${bin}): ${redactSecrets(e.message)}`, 'spawn')));
    proc.on('close', (code, signal) => {
      if (!closed && !failure && code !== 0) {
        const why = redactSecrets(stderrTail.trim().split('\n').slice(-3).join(' | ')) || `signal ${signal ?? 'none'}`;
        const what = seq > 0 ? `stopped after ${seq} frames` : 'produced no frame';
        failure = new VideoSourceError(`${description}: ffmpeg exited with code ${code ?? signal} (${what}): ${why}`, 'ffmpeg-exit');
      }
      ended = true;
      notify();
    });
    const openTimeout = options.openTimeoutMs ?? 10_000;
    const stallTimeout = options.stallTimeoutMs ?? 10_000;
    const watchdog = setInterval(() => {
      const now = Date.now();
      if (seq === 0 && now - startedAt > openTimeout) {
        fail(new VideoSourceError(`${description}: no frame within ${openTimeout} ms (the source does not answer or sends no video)`, 'timeout'));
      } else if (seq > 0 && live && queue.length === 0 && !proc.stdout.isPaused() && now - lastFrameAt > stallTimeout) {
        fail(new VideoSourceError(`${description}: no frame for ${stallTimeout} ms (the source stalled or disappeared)`, 'stalled'));
      }
    }, Math.min(250, Math.max(20, Math.floor(Math.min(openTimeout, stallTimeout) / 4))));
    try {
      for (;;) {
        const next = queue.shift();
        if (next) {
          if (queue.length < maxBuffered && proc.stdout.isPaused()) proc.stdout.resume();
          yield next;
          continue;
        }
        if (failure) throw failure;
        if (ended || closed) return;
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      clearInterval(watchdog);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
  }

  return {
    live,
    description,
    [Symbol.asyncIterator]: () => frames(),
    async close() {
      closed = true;
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
