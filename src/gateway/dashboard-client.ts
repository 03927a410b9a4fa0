import type { WebSocket } from 'ws';
import { stageMetrics } from '../core/metrics.js';
import { CLOSE, closeWith } from './close-codes.js';
import { gatewayMetrics } from './gateway-metrics.js';
import { TokenBucket } from './token-bucket.js';

export interface DashboardClientLimits {
  /** Predictions kept per stream while the client is behind; older ones are dropped (and counted). */
  maxQueuedPerStream: number;
  /** Stop writing to a client whose socket holds more than this many unsent bytes. */
  maxBufferedBytes: number;
  /** Disconnect a client that stays over maxBufferedBytes for this long. */
  slowDisconnectMs: number;
  /** Control messages per second (burst of twice that). */
  maxControlPerSec: number;
}

export interface DashboardClientCounters {
  sent: number;
  dropped: number;
}

type Subscription = '*' | Set<string>;

/**
 * One dashboard WebSocket client. What it has not yet received is a small bounded state, never
 * an unbounded backlog: the last `maxQueuedPerStream` predictions of each subscribed stream, the
 * latest stats and the latest stream list. Writes stop while the socket's own buffer is over a
 * bound, so a client that does not read costs at most that much memory and never slows anyone
 * else; one that stays behind too long is disconnected.
 */
export class DashboardClient {
  private subscription: Subscription = new Set();
  private readonly pendingPredictions = new Map<string, Buffer[]>();
  private pendingStats: Buffer | undefined;
  private pendingStreams: Buffer | undefined;
  private pendingOther: Buffer[] = [];
  private congestedSince: number | undefined;
  private readonly controlBucket: TokenBucket;
  readonly counters: DashboardClientCounters = { sent: 0, dropped: 0 };

  constructor(
    readonly ws: WebSocket,
    private readonly limits: DashboardClientLimits,
    /** The most recent prediction of a stream, sent right after subscribing so tiles fill at once. */
    private readonly latestOf: (streamId: string) => Buffer | undefined,
  ) {
    this.controlBucket = new TokenBucket(limits.maxControlPerSec * 2, limits.maxControlPerSec);
  }

  subscribed(streamId: string): boolean {
    return this.subscription === '*' || this.subscription.has(streamId);
  }

  /** Handles a text control message; returns an error message for the client when it is malformed. */
  control(text: string): void {
    if (!this.controlBucket.take()) {
      gatewayMetrics.rejected.inc({ where: 'ws', reason: 'rate' });
      closeWith(this.ws, CLOSE.policyViolation, `rate limit exceeded: more than ${this.limits.maxControlPerSec} control messages per second`);
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.sendError('control message is not valid JSON');
      return;
    }
    const m = msg as { type?: unknown; streams?: unknown };
    if (typeof msg !== 'object' || msg === null || (m.type !== 'subscribe' && m.type !== 'unsubscribe')) {
      this.sendError('control message needs "type": "subscribe" or "unsubscribe"');
      return;
    }
    const streams = m.streams;
    const valid = streams === '*' || (Array.isArray(streams) && streams.length <= 1000 && streams.every((s) => typeof s === 'string' && s.length <= 64));
    if (!valid) {
      this.sendError('"streams" must be "*" or an array of stream ids');
      return;
    }
    if (m.type === 'subscribe') this.subscribe(streams as '*' | string[]);
    else this.unsubscribe(streams as '*' | string[]);
  }

  /** Replaces the subscription (the client sends the full list of streams it shows). */
  subscribe(streams: '*' | string[]): void {
    const before = this.subscription;
    this.subscription = streams === '*' ? '*' : new Set(streams);
    for (const id of this.pendingPredictions.keys()) if (!this.subscribed(id)) this.pendingPredictions.delete(id);
    if (streams !== '*') {
      for (const id of streams) {
        if (before !== '*' && before.has(id)) continue;
        const latest = this.latestOf(id);
        if (latest) this.enqueuePrediction(id, latest);
      }
    }
    this.flush();
  }

  unsubscribe(streams: '*' | string[]): void {
    if (streams === '*') this.subscription = new Set();
    else if (this.subscription !== '*') for (const id of streams) this.subscription.delete(id);
    for (const id of this.pendingPredictions.keys()) if (!this.subscribed(id)) this.pendingPredictions.delete(id);
  }

  enqueuePrediction(streamId: string, message: Buffer): void {
    if (!this.subscribed(streamId)) return;
    let q = this.pendingPredictions.get(streamId);
    if (!q) {
      q = [];
      this.pendingPredictions.set(streamId, q);
    }
    q.push(message);
    if (q.length > this.limits.maxQueuedPerStream) {
      q.shift();
      this.counters.dropped++;
      stageMetrics.dropped.inc({ where: 'ws-client', reason: 'slow' });
    }
  }

  /** Predictions waiting for this client (bounded by subscribed streams x maxQueuedPerStream). */
  queued(): number {
    let n = 0;
    for (const q of this.pendingPredictions.values()) n += q.length;
    return n;
  }

  setStats(message: Buffer): void {
    this.pendingStats = message;
  }

  setStreams(message: Buffer): void {
    this.pendingStreams = message;
  }

  private sendError(error: string): void {
    this.pendingOther.push(Buffer.from(JSON.stringify({ type: 'error', error })));
    this.flush();
  }

  private hasPending(): boolean {
    return this.pendingStats !== undefined || this.pendingStreams !== undefined || this.pendingOther.length > 0 || this.pendingPredictions.size > 0;
  }

  private next(): { message: Buffer; type: string } | undefined {
    if (this.pendingOther.length > 0) return { message: this.pendingOther.shift()!, type: 'error' };
    if (this.pendingStreams) {
      const message = this.pendingStreams;
      this.pendingStreams = undefined;
      return { message, type: 'streams' };
    }
    if (this.pendingStats) {
      const message = this.pendingStats;
      this.pendingStats = undefined;
      return { message, type: 'stats' };
    }
    // One prediction per stream per round, so a busy stream does not starve the others.
    for (const [id, q] of this.pendingPredictions) {
      const message = q.shift()!;
      this.pendingPredictions.delete(id);
      if (q.length > 0) this.pendingPredictions.set(id, q); // re-insert: moves the stream to the back
      return { message, type: 'prediction' };
    }
    return undefined;
  }

  /** Writes what is pending while the socket buffer has room. Returns false when the client was disconnected. */
  flush(now = Date.now()): boolean {
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return ws.readyState === ws.CONNECTING;
    const socket = (ws as unknown as { _socket?: { cork?: () => void; uncork?: () => void } })._socket;
    const corked = typeof socket?.cork === 'function';
    if (corked) socket!.cork!();
    const sentByType: Record<string, number> = {};
    try {
      while (this.hasPending() && ws.bufferedAmount < this.limits.maxBufferedBytes) {
        const item = this.next();
        if (!item) break;
        ws.send(item.message, { binary: false });
        if (item.type === 'prediction') this.counters.sent++;
        sentByType[item.type] = (sentByType[item.type] ?? 0) + 1;
      }
    } finally {
      if (corked) socket!.uncork!();
    }
    for (const type in sentByType) gatewayMetrics.messagesSent.inc({ type }, sentByType[type]);
    if (ws.bufferedAmount >= this.limits.maxBufferedBytes) {
      this.congestedSince ??= now;
      if (now - this.congestedSince > this.limits.slowDisconnectMs) {
        stageMetrics.dropped.inc({ where: 'ws-client', reason: 'disconnected-slow' });
        gatewayMetrics.rejected.inc({ where: 'ws', reason: 'slow' });
        closeWith(ws, CLOSE.tooSlow, `client too slow: over ${this.limits.maxBufferedBytes} unsent bytes for ${this.limits.slowDisconnectMs} ms`);
        // A client that does not read may not read the close frame either.
        setTimeout(() => ws.terminate(), 1000).unref();
        return false;
      }
    } else {
      this.congestedSince = undefined;
    }
    return true;
  }
}
