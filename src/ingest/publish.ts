import { EventEmitter } from 'node:events';
import type { Bus, Producer } from '../bus/bus.js';
import { encodeMessage, type Message } from '../bus/envelope.js';
import { TOPICS } from '../bus/topics.js';
import { childLogger } from '../core/logger.js';
import { stageMetrics } from '../core/metrics.js';
import { type CapturedFrame, type FrameSource, isJpeg } from './frame.js';
import { LagMonitor, type LagWatch } from './lag-monitor.js';
import type { Route } from '../core/route.js';
import { sendDurably } from './durable-send.js';

/** The image features stage's consumer group (its lag on video.frames is part of the backpressure signal). */
export const IMAGE_FEATURES_GROUP = 'streamlens.features:image';
/** The video inference stage's consumer group (its lag on video.tensors is the other part). */
export const VIDEO_INFERENCE_GROUP = 'streamlens.inference:image';

/** Default backpressure signal: frames not yet featurised plus tensors not yet classified. */
export const DEFAULT_VIDEO_LAG_WATCH: readonly LagWatch[] = [
  { groupId: IMAGE_FEATURES_GROUP, topic: TOPICS.videoFrames },
  { groupId: VIDEO_INFERENCE_GROUP, topic: TOPICS.videoTensors },
];

export interface PublishOptions {
  /** Live sources drop the oldest frames instead of building a backlog. Default: `source.live`. */
  live?: boolean;
  /** Non-live: publish at the source's own rate (ptsSec) instead of as fast as possible. */
  paced?: boolean;
  /** Backpressure bound: summed lag of the watched groups above this many frames per active stream. Default 2 (latency ~ bound / throughput). */
  maxLagPerStream?: number;
  /** Absolute bound, overriding maxLagPerStream x active streams. */
  maxLag?: number;
  /** Frames a live stream holds locally while the consumer lags (the newest are kept). Default 1. */
  maxQueuedFrames?: number;
  /** Consumer groups whose summed lag is the backpressure signal (default DEFAULT_VIDEO_LAG_WATCH). */
  lagWatch?: readonly LagWatch[];
  topic?: string;
  /** The stream's model route, carried in every frame's envelope (src/core/route.ts). */
  route?: Route;
}

export interface PublishSummary {
  streamId: string;
  published: number;
  dropped: number;
  /** Set when the source failed (camera gone, ffmpeg exit, timeout). */
  error?: Error;
}

const activeStreams = new WeakMap<Bus, Set<string>>();
function streamsOn(bus: Bus): Set<string> {
  let s = activeStreams.get(bus);
  if (!s) activeStreams.set(bus, (s = new Set()));
  return s;
}

function frameMessage(streamId: string, f: CapturedFrame, source: string, route: Route | undefined): Message {
  return {
    type: 'video.frame',
    env: { streamId, seq: f.seq, capturedAt: f.capturedAt, ...(route ? { route } : {}) },
    meta: { ptsSec: f.ptsSec, source },
    jpeg: f.jpeg,
  };
}

/**
 * Live frame path shared by cameras/network streams and the gateway (browser frames): frames are
 * pushed in as they arrive and never wait; when the consumer lags past the bound, the local queue
 * keeps only the newest `maxQueuedFrames` and the dropped ones are counted
 * (streamlens_dropped_total{where="ingest:video", reason="backpressure"}).
 */
export class LiveFramePublisher {
  private readonly queue: CapturedFrame[] = [];
  private readonly producer: Producer;
  private readonly monitor: LagMonitor;
  private readonly topic: string;
  private wake?: () => void;
  private closed = false;
  /** Ends a send that waits for the bus when the publisher is closed with `discard`. */
  private readonly stopSignal = new AbortController();
  private readonly loop: Promise<void>;
  private sendError?: Error;
  published = 0;
  dropped = 0;

  constructor(
    private readonly bus: Bus,
    readonly streamId: string,
    private readonly source: string,
    private readonly options: PublishOptions = {},
  ) {
    this.producer = bus.producer();
    this.topic = options.topic ?? TOPICS.videoFrames;
    this.monitor = LagMonitor.acquire(bus, options.lagWatch ?? DEFAULT_VIDEO_LAG_WATCH);
    streamsOn(bus).add(streamId);
    this.loop = this.sendLoop();
  }

  private bound(): number {
    return this.options.maxLag ?? (this.options.maxLagPerStream ?? 2) * Math.max(1, streamsOn(this.bus).size);
  }

  /** Queues one frame; never blocks. Drops the oldest queued frame when the queue is full. */
  push(frame: CapturedFrame): void {
    if (this.closed) throw new Error(`live publisher for stream ${this.streamId} is closed`);
    if (this.sendError) throw this.sendError;
    this.queue.push(frame);
    const max = this.options.maxQueuedFrames ?? 1;
    while (this.queue.length > max) {
      this.queue.shift();
      this.dropped++;
      stageMetrics.dropped.inc({ where: 'ingest:video', reason: 'backpressure' });
    }
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async sendLoop(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0) {
        if (this.closed) return;
        await new Promise<void>((r) => (this.wake = r));
        continue;
      }
      if (this.monitor.lag > this.bound() && !this.closed) {
        await Promise.race([this.monitor.nextReading(), new Promise<void>((r) => (this.wake = r))]);
        continue;
      }
      const frame = this.queue.shift() as CapturedFrame;
      try {
        // While the bus is down this waits (and push() keeps only the newest frames, counting the drops).
        await sendDurably(this.producer, this.topic, [encodeMessage(frameMessage(this.streamId, frame, this.source, this.options.route))], { signal: this.stopSignal.signal, source: this.streamId });
        this.published++;
        // Count what we just added so a burst cannot overshoot the bound before the next lag reading.
        this.monitor.lag++;
      } catch (e) {
        if (!this.stopSignal.signal.aborted) this.sendError = e as Error;
        else this.dropped++;
        return;
      }
    }
  }

  /**
   * Publishes what is queued (unless `discard`), then stops. A bus that stays unavailable cannot hold
   * the close up for longer than `graceMs`: what is still queued then is dropped (and counted as dropped).
   */
  async close(discard = false, graceMs = 10_000): Promise<void> {
    const discardQueued = () => {
      this.dropped += this.queue.length;
      this.queue.length = 0;
      this.stopSignal.abort();
    };
    if (discard) discardQueued();
    this.closed = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
    const grace = setTimeout(discardQueued, graceMs);
    try {
      await this.loop;
    } finally {
      clearTimeout(grace);
    }
    this.monitor.release();
    streamsOn(this.bus).delete(this.streamId);
    if (this.sendError) throw this.sendError;
  }
}

/**
 * For the gateway: publishes JPEG frames received from a browser (WebSocket) through the live path.
 * `push(jpeg)` validates the bytes (throws on non-JPEG) and never blocks.
 */
export function createReceivedFramePublisher(
  bus: Bus,
  streamId: string,
  options: PublishOptions & { fps?: number } = {},
): { push(jpeg: Buffer, capturedAt?: number): void; close(): Promise<void>; stats(): { published: number; dropped: number } } {
  const live = new LiveFramePublisher(bus, streamId, 'browser', options);
  let seq = 0;
  const startedAt = Date.now();
  return {
    push(jpeg, capturedAt = Date.now()) {
      if (!Buffer.isBuffer(jpeg) || !isJpeg(jpeg)) throw new Error(`stream ${streamId}: received frame is not a complete JPEG (${jpeg?.length ?? 0} bytes)`);
      live.push({ jpeg, seq: seq++, capturedAt, ptsSec: Math.max(0, (capturedAt - startedAt) / 1000) });
    },
    close: () => live.close(),
    stats: () => ({ published: live.published, dropped: live.dropped }),
  };
}

export interface VideoPublisher extends EventEmitter {
  /** Resolves when the source ends, fails or is stopped; never rejects (see `error`). */
  readonly done: Promise<PublishSummary>;
  stop(): Promise<PublishSummary>;
  stats(): { published: number; dropped: number };
}

/**
 * Publishes a frame source to video.frames. Live sources never build a backlog (drop-oldest under
 * backpressure, counted); file sources wait for the consumer (and are paced when `paced`).
 * A failing source (camera unplugged, ffmpeg exiting non-zero, timeout) emits 'error' (when a
 * listener is attached; else it is logged) and `done` resolves with `error` set: other streams
 * carry on.
 */
export function publishVideoSource(bus: Bus, streamId: string, source: FrameSource, options: PublishOptions = {}): VideoPublisher {
  const emitter = new EventEmitter() as VideoPublisher;
  const log = childLogger({ component: 'ingest:video', streamId });
  const live = options.live ?? source.live;
  let stopped = false;
  let published = 0;
  let dropped = 0;
  let livePub: LiveFramePublisher | undefined;
  const stopSignal = new AbortController();

  const run = async (): Promise<PublishSummary> => {
    let error: Error | undefined;
    const producer = bus.producer();
    const topic = options.topic ?? TOPICS.videoFrames;
    const monitor = live ? undefined : LagMonitor.acquire(bus, options.lagWatch ?? DEFAULT_VIDEO_LAG_WATCH);
    if (live) livePub = new LiveFramePublisher(bus, streamId, source.description, options);
    else streamsOn(bus).add(streamId);
    const t0 = Date.now();
    try {
      for await (const frame of source) {
        if (stopped) break;
        if (livePub) {
          livePub.push(frame);
          continue;
        }
        if (options.paced) {
          const due = t0 + frame.ptsSec * 1000 - Date.now();
          if (due > 0) await new Promise((r) => setTimeout(r, due));
        }
        const bound = options.maxLag ?? (options.maxLagPerStream ?? 2) * Math.max(1, streamsOn(bus).size);
        while (monitor && monitor.lag > bound && !stopped) await monitor.nextReading();
        await sendDurably(producer, topic, [encodeMessage(frameMessage(streamId, { ...frame, capturedAt: Date.now() }, source.description, options.route))], { signal: stopSignal.signal, source: streamId });
        if (monitor) monitor.lag++;
        published++;
      }
    } catch (e) {
      error = e as Error;
    } finally {
      await source.close();
      if (livePub) {
        try {
          await livePub.close(stopped);
        } catch (e) {
          error ??= e as Error;
        }
        published = livePub.published;
        dropped = livePub.dropped;
      } else {
        monitor?.release();
        streamsOn(bus).delete(streamId);
      }
    }
    if (error) {
      log.error({ err: error.message }, 'video source failed');
      if (emitter.listenerCount('error') > 0) emitter.emit('error', error);
    }
    const summary: PublishSummary = { streamId, published, dropped, error };
    emitter.emit('end', summary);
    return summary;
  };
  const done = run();
  Object.assign(emitter, {
    done,
    async stop() {
      stopped = true;
      stopSignal.abort();
      await source.close();
      return done;
    },
    stats: () => ({ published: livePub?.published ?? published, dropped: livePub?.dropped ?? dropped }),
  });
  return emitter;
}
