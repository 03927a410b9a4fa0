import { createReadStream } from 'node:fs';
import type { Bus, Producer } from '../bus/bus.js';
import { type StreamConfig, mediaOf, streamRoute, streamSchema } from '../core/config.js';
import type { Route } from '../core/route.js';
import type { StreamInfo } from './stream-info.js';
import { childLogger } from '../core/logger.js';
import { redactSecrets, redactSource, registerUrlSecrets, shortenPaths } from '../core/redact.js';
import { type SourceRoot, confineSource, displayRoots, fileConfiner, rootsOf } from '../core/source-paths.js';
import { openAudioFileSource } from './audio-file-source.js';
import { loopAudioSource } from './looping-audio-source.js';
import { openMicrophoneSource } from './microphone-source.js';
import { LivePcmSource } from './live-pcm-source.js';
import { publishAudioSource } from './publish-audio.js';
import { ingestCourseCsv, ingestCourseJsonLines } from './course-source.js';
import { startVideoStream } from './video-stream.js';

const log = childLogger({ component: 'streams' });

interface RunningStream {
  info: StreamInfo;
  config: StreamConfig;
  /** Carried in the envelope of every message of the stream: workers in any process honour it. */
  route: Route;
  abort: AbortController;
  done: Promise<void>;
  /** Live PCM fed by the gateway (push audio streams). */
  livePcm?: LivePcmSource;
}

/**
 * Starts, tracks and stops the configured streams: each source runs as its own task that
 * publishes to the bus; a failing source marks its stream "error" and the others keep flowing.
 */
export class StreamManager {
  private readonly streams = new Map<string, RunningStream>();
  private readonly listeners = new Set<() => void>();
  private readonly producer: Producer;
  /** Where file sources may read (sources.allowedDirs). */
  readonly roots: SourceRoot[];
  private readonly shownRoots: { dir: string; label: string }[];

  constructor(
    private readonly bus: Bus,
    /** Called when a stream (re)starts: its seqs begin again, so per-stream memories of seqs must forget it. */
    private readonly onStarted?: (id: string) => void,
    options: { roots?: SourceRoot[] } = {},
  ) {
    this.producer = bus.producer();
    this.roots = options.roots ?? rootsOf({ sources: {} });
    this.shownRoots = displayRoots(this.roots);
  }

  /** Text about a stream as it may be shown (API, dashboard): no credentials, paths relative to their root. */
  private publicText(text: string): string {
    return shortenPaths(redactSecrets(text), this.shownRoots);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  list(): StreamInfo[] {
    return [...this.streams.values()].map((s) => ({ ...s.info }));
  }

  get(id: string): StreamInfo | undefined {
    const s = this.streams.get(id);
    return s ? { ...s.info } : undefined;
  }

  /** The model route of a stream (what its messages carry), or undefined for an unknown stream. */
  routeOf(id: string): Route | undefined {
    return this.streams.get(id)?.route;
  }

  async add(raw: unknown): Promise<StreamInfo> {
    const parsed = streamSchema.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new StreamConfigError(`${i.path.join('.') || '(root)'}: ${i.message}`);
    }
    let config = parsed.data;
    // File sources read only inside sources.allowedDirs; the real path (links resolved) is what is opened.
    try {
      config = { ...config, source: confineSource(config.source, this.roots) };
    } catch (e) {
      throw new StreamConfigError((e as Error).message);
    }
    // Credentials in a source URL live in this private config only; everything shown gets the redacted copy.
    if ('url' in config.source) registerUrlSecrets(config.source.url);
    const existing = this.streams.get(config.id);
    if (existing && (existing.info.status === 'running' || existing.info.status === 'starting')) {
      throw new StreamConfigError(`id: stream "${config.id}" already exists`);
    }
    const media = mediaOf(config.source);
    const route = streamRoute(config);
    const info: StreamInfo = {
      id: config.id,
      media,
      source: redactSource(config.source, this.shownRoots),
      model: route.model,
      ...(route.version ? { modelVersion: route.version } : {}),
      ...(route.companions?.length ? { companions: [...route.companions] } : {}),
      status: 'starting',
      startedAt: Date.now(),
      published: 0,
      dropped: 0,
    };
    const abort = new AbortController();
    const running: RunningStream = { info, config, route, abort, done: Promise.resolve() };
    this.streams.set(config.id, running);
    this.onStarted?.(config.id);
    running.done = this.run(running).then(
      () => {
        if (info.status !== 'error') info.status = 'ended';
        this.changed();
      },
      (e: Error) => {
        if (abort.signal.aborted) {
          // Stopped on purpose: the source's abort error is the expected way out.
          info.status = 'ended';
          this.changed();
          return;
        }
        info.status = 'error';
        info.error = this.publicText(e.message);
        log.warn({ stream: info.id, err: e.message }, 'stream failed');
        this.changed();
      },
    );
    this.changed();
    return { ...info };
  }

  async remove(id: string): Promise<boolean> {
    const s = this.streams.get(id);
    if (!s) return false;
    s.abort.abort();
    s.livePcm?.end();
    await s.done;
    this.streams.delete(id);
    this.changed();
    return true;
  }

  /** The push source of a stream fed by the gateway; created on first use for unknown ids. */
  async livePcm(id: string): Promise<LivePcmSource> {
    let s = this.streams.get(id);
    if (!s || s.info.status === 'ended' || s.info.status === 'error') {
      await this.add({ id, source: { kind: 'push', media: 'audio' } });
      s = this.streams.get(id)!;
    }
    if (s.info.media !== 'audio' || !s.livePcm) throw new StreamConfigError(`stream "${id}" does not take pushed audio`);
    return s.livePcm;
  }

  async ensurePushStream(id: string, media: 'video' | 'course'): Promise<void> {
    const s = this.streams.get(id);
    if (!s || s.info.status === 'ended' || s.info.status === 'error') {
      await this.add({ id, source: { kind: 'push', media } });
    } else if (s.info.media !== media) {
      throw new StreamConfigError(`stream "${id}" is a ${s.info.media} stream, not ${media}`);
    }
  }

  countPublished(id: string, n = 1): void {
    const s = this.streams.get(id);
    if (s) s.info.published += n;
  }

  private async run(s: RunningStream): Promise<void> {
    const { config, info, abort, route } = s;
    const src = config.source;
    const signal = abort.signal;
    info.status = 'running';
    switch (src.kind) {
      case 'audio-file':
      case 'audio-url': {
        const input = src.kind === 'audio-file' ? src.path : src.url;
        const realtime = src.kind === 'audio-url' || src.realtime;
        const open = () => openAudioFileSource(input, { realtime, signal });
        const source = src.kind === 'audio-file' && src.loop ? loopAudioSource(open) : open();
        signal.addEventListener('abort', () => void source.close(), { once: true });
        const r = await publishAudioSource(this.bus, config.id, source, { signal, producer: this.producer, route });
        info.published += r.chunks;
        info.dropped += r.dropped;
        return;
      }
      case 'microphone': {
        const source = openMicrophoneSource({ device: src.device === 'default' ? undefined : src.device });
        signal.addEventListener('abort', () => source.end(), { once: true });
        const r = await publishAudioSource(this.bus, config.id, source, { signal, producer: this.producer, route });
        info.published += r.chunks;
        info.dropped += r.dropped;
        return;
      }
      case 'csv':
      case 'jsonl': {
        // A looping CSV plays pass 0, 1, 2, ...: each replay is a new pass for the de-duplicator, not duplicates.
        let pass = 0;
        do {
          const ingest = src.kind === 'csv' ? ingestCourseCsv : ingestCourseJsonLines;
          // Counted as the bus acknowledges them, so the stream list shows progress while a file plays.
          await ingest(createReadStream(src.path), {
            producer: this.producer,
            streamId: config.id,
            rate: src.rate,
            signal,
            startSeq: info.published + info.dropped,
            route,
            ...(src.kind === 'csv' && src.loop ? { pass: pass++ } : {}),
            ...(src.kind === 'csv' && src.shuffleSeed !== undefined ? { shuffleSeed: src.shuffleSeed } : {}),
            onAcknowledged: (records, deadLetters) => {
              info.published += records;
              info.dropped += deadLetters;
            },
          });
        } while (src.kind === 'csv' && src.loop && !signal.aborted);
        return;
      }
      case 'camera':
      case 'video-file':
      case 'video-url':
      case 'images': {
        const r = await startVideoStream(this.bus, this.producer, config.id, src, signal, route, { confine: fileConfiner(this.roots) });
        info.published += r.published;
        info.dropped += r.dropped;
        return;
      }
      case 'push': {
        if (src.media === 'audio') {
          const live = new LivePcmSource({ description: `pushed audio ${config.id}`, metricsWhere: 'ws-ingest' });
          s.livePcm = live;
          signal.addEventListener('abort', () => live.end(), { once: true });
          const r = await publishAudioSource(this.bus, config.id, live, { signal, producer: this.producer, route });
          info.published += r.chunks;
          info.dropped += r.dropped;
          return;
        }
        // Video frames and course records are published by the gateway as they arrive.
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        return;
      }
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.streams.keys()].map((id) => this.remove(id)));
  }
}

export class StreamConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamConfigError';
  }
}
