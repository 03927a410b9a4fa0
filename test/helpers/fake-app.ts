import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Prediction } from '../../src/bus/envelope.js';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import type { AppContext, IngestResult, ModelSummary, StageStats, StreamInfo, SystemStats } from '../../src/gateway/app-context.js';
import { mediaOf, parseConfig, type AppConfig, type StreamConfig } from '../../src/core/config.js';

/**
 * A test double of the running app for gateway tests, the browser test and the load benchmark.
 * It generates plausible predictions for its streams at a fixed rate (the labels are random —
 * there is no model here), answers stats() from what it actually generated, and turns browser
 * ingest into predictions (audio: one per second of PCM received, with the PCM's real level).
 */
export const EMOTIONS = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'];
const ANIMALS = ['cat', 'dog', 'fox'];
const COURSE_LABELS = ['popular', 'not-popular'];
const COURSE_TERMS = ['python', 'beginners', 'complete', 'guitar', 'excel', 'trading', 'web', 'design', 'piano', 'forex'];

export interface FakeAppOptions {
  /** Streams generating predictions on their own. */
  streams?: { id: string; media: 'audio' | 'video' | 'course' }[];
  /** Predictions per second per generating stream. */
  ratePerStream?: number;
  /** Extra bytes of padding in every prediction (to make slow-client tests fill buffers quickly). */
  padBytes?: number;
  /** Thumbnail carried by video predictions: 'small' (~1 KB, flat colour) or 'realistic' (~15 KB, a detailed 160x120 JPEG, the size the real pipeline sends). */
  frame?: 'small' | 'realistic';
  config?: Partial<AppConfig>;
  seed?: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function softmaxScores(labels: string[], rand: () => number, favourite: number): Record<string, number> {
  const logits = labels.map((_, i) => rand() * 2 + (i === favourite ? 2.5 : 0));
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return Object.fromEntries(labels.map((l, i) => [l, exps[i] / sum]));
}

function argmax(scores: Record<string, number>): string {
  return Object.entries(scores).sort((a, b) => b[1] - a[1])[0][0];
}

export class FakeApp implements AppContext {
  readonly config: AppConfig;
  readonly bus = new EmbeddedBus();
  /** Set by a test to let the gateway write the course analysis report (POST /api/reports/courses). */
  writeCourseReport?: (dir: string) => Promise<void>;
  private readonly infos = new Map<string, StreamInfo>();
  private readonly generating = new Set<string>();
  private readonly listeners = new Set<(p: Prediction) => void>();
  private readonly seqs = new Map<string, number>();
  private readonly rand: () => number;
  private readonly reportDir = mkdtempSync(join(tmpdir(), 'streamlens-fake-reports-'));
  private timer: NodeJS.Timeout | undefined;
  private frameBase64 = '';
  private readonly started = Date.now();
  private emitted = 0;
  private emittedAtLastStats = 0;
  private lastStatsAt = Date.now();
  private readonly latencies: number[] = [];
  private readonly pcmBuffers = new Map<string, { samples: number; sumSquares: number; sampleRate: number; startSec: number }>();
  /** What browser ingest delivered, for assertions. */
  readonly ingested = { audioSamples: 0, frames: 0, courseRecords: 0 };

  constructor(private readonly options: FakeAppOptions = {}) {
    this.config = parseConfig({ ...options.config });
    this.rand = rng(options.seed ?? 42);
    for (const s of options.streams ?? []) {
      const source = s.media === 'audio' ? { kind: 'audio-file' as const, path: `/fake/${s.id}.wav`, realtime: true, loop: true } : s.media === 'video' ? { kind: 'video-file' as const, path: `/fake/${s.id}.mp4`, fps: 5, realtime: true, loop: true } : { kind: 'csv' as const, path: '/fake/courses.csv', loop: true };
      this.infos.set(s.id, { id: s.id, media: s.media, source, model: { audio: 'emotion', video: 'animal', course: 'course' }[s.media], status: 'running', startedAt: Date.now(), published: 0, dropped: 0 });
      this.generating.add(s.id);
    }
    writeFileSync(join(this.reportDir, 'emotion-1.html'), '<!doctype html><title>emotion v1</title><h1>Emotion model, version 1</h1>');
  }

  async start(): Promise<void> {
    let thumb: Buffer;
    if (this.options.frame === 'realistic') {
      // Detail that JPEG cannot squeeze away, like a photo: seeded noise over a gradient.
      const w = 160;
      const hgt = 120;
      const raw = Buffer.alloc(w * hgt * 3);
      for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(((i % (w * 3)) / (w * 3)) * 128 + this.rand() * 127);
      thumb = await sharp(raw, { raw: { width: w, height: hgt, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
    } else {
      thumb = await sharp({ create: { width: 96, height: 72, channels: 3, background: { r: 200, g: 120, b: 40 } } }).jpeg({ quality: 70 }).toBuffer();
    }
    this.frameBase64 = thumb.toString('base64');
    const rate = this.options.ratePerStream ?? 5;
    // Paced by the wall clock, so a busy event loop does not lower the rate.
    const t0 = performance.now();
    let due = 0;
    this.timer = setInterval(() => {
      const target = Math.floor(((performance.now() - t0) / 1000) * rate);
      for (; due < target; due++) for (const id of this.generating) this.generate(id);
    }, 50);
  }

  /** Size of the JPEG thumbnail video predictions carry. */
  frameBytes(): number {
    return Math.round((this.frameBase64.length * 3) / 4);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.bus.close();
  }

  private nextSeq(id: string): number {
    const s = this.seqs.get(id) ?? 0;
    this.seqs.set(id, s + 1);
    return s;
  }

  private emit(p: Prediction): void {
    this.emitted++;
    const info = this.infos.get(p.streamId);
    if (info) info.published++;
    this.latencies.push(p.latencyMs.total ?? 0);
    if (this.latencies.length > 2000) this.latencies.splice(0, this.latencies.length - 2000);
    for (const l of this.listeners) l(p);
  }

  private generate(id: string): void {
    const info = this.infos.get(id);
    if (!info) return;
    const seq = this.nextSeq(id);
    const latency = 20 + this.rand() * 60;
    const pad = this.options.padBytes ? { pad: 'x'.repeat(this.options.padBytes) } : {};
    if (info.media === 'audio') {
      const speech = this.rand() > 0.2;
      const scores = softmaxScores(EMOTIONS, this.rand, Math.floor(seq / 10) % EMOTIONS.length);
      this.emit({ streamId: id, kind: 'audio', seq, window: { start: seq * 0.5, end: seq * 0.5 + 2 }, label: speech ? argmax(scores) : 'silence', scores, speech, extra: { rmsDb: speech ? -20 - this.rand() * 15 : -55, ...pad }, model: { name: 'emotion', version: '1' }, latencyMs: { total: latency } });
    } else if (info.media === 'video') {
      const scores = softmaxScores(ANIMALS, this.rand, Math.floor(seq / 20) % ANIMALS.length);
      this.emit({ streamId: id, kind: 'image', seq, label: argmax(scores), scores, extra: { frame: this.frameBase64, ...pad }, model: { name: 'animal', version: '1' }, latencyMs: { total: latency } });
    } else {
      const scores = softmaxScores(COURSE_LABELS, this.rand, seq % 2);
      const terms = [...COURSE_TERMS].sort(() => this.rand() - 0.5).slice(0, 4);
      this.emit({ streamId: id, kind: 'course', seq, label: argmax(scores), scores, extra: { title: `Course ${seq}: ${terms.join(' ')}`, ...pad }, explanation: [{ term: 'of', weight: 2 }, { term: 'log_price_per_hour', weight: -1.5 }, ...terms.map((term, i) => ({ term, weight: (this.rand() - 0.3) / (i + 1) }))], model: { name: 'course', version: '1' }, latencyMs: { total: latency } });
    }
  }

  streams = {
    list: (): StreamInfo[] => [...this.infos.values()].map((s) => ({ ...s })),
    add: async (config: StreamConfig): Promise<StreamInfo> => {
      if (this.infos.has(config.id)) throw new Error(`stream "${config.id}" already exists`);
      const media = mediaOf(config.source);
      const info: StreamInfo = { id: config.id, media, source: config.source, model: config.model ?? { audio: 'emotion', video: 'animal', course: 'course' }[media], status: 'running', startedAt: Date.now(), published: 0, dropped: 0 };
      this.infos.set(config.id, info);
      if (config.source.kind !== 'push') this.generating.add(config.id);
      return { ...info };
    },
    remove: async (id: string): Promise<boolean> => {
      this.generating.delete(id);
      this.pcmBuffers.delete(id);
      return this.infos.delete(id);
    },
  };

  models = {
    list: (): ModelSummary[] => [
      {
        name: 'emotion',
        serving: '1',
        servingSource: 'this process',
        versions: [
          {
            version: '1',
            task: 'speech-emotion',
            created: '2025-01-01T00:00:00Z',
            metrics: { macroF1: 0.5 },
            evaluation: [{ split: 'leave-speakers-out, 6-fold, pooled out-of-fold (n=1080)', accuracy: 0.585, macroF1: 0.58, recall: { neutral: 0.556, happy: 0.61 } }],
            streams: [...this.infos.values()].filter((s) => s.media === 'audio').map((s) => s.id),
            report: 'report.html',
          },
        ],
      },
      { name: 'animal', serving: '1', servingSource: 'this process', versions: [{ version: '1', task: 'image-classification', created: '2025-01-01T00:00:00Z', metrics: { accuracy: 0.9 }, evaluation: [{ split: 'test split (n=203)', accuracy: 0.9 }], streams: [] }] },
    ],
    reportPath: (name: string, version: string): string | undefined => (name === 'emotion' && version === '1' ? join(this.reportDir, 'emotion-1.html') : undefined),
  };

  predictions = {
    subscribe: (listener: (p: Prediction) => void): (() => void) => {
      this.listeners.add(listener);
      return () => this.listeners.delete(listener);
    },
  };

  ingest = {
    audio: async (streamId: string, pcm: Int16Array, sampleRate: number): Promise<void> => {
      if (!this.infos.has(streamId)) throw new Error(`no stream "${streamId}"`);
      this.ingested.audioSamples += pcm.length;
      const b = this.pcmBuffers.get(streamId) ?? { samples: 0, sumSquares: 0, sampleRate, startSec: 0 };
      for (let i = 0; i < pcm.length; i++) b.sumSquares += (pcm[i] / 32768) ** 2;
      b.samples += pcm.length;
      this.pcmBuffers.set(streamId, b);
      if (b.samples >= sampleRate) {
        const rmsDb = 10 * Math.log10(b.sumSquares / b.samples + 1e-12);
        const speech = rmsDb > -45;
        const scores = softmaxScores(EMOTIONS, this.rand, Math.floor(this.rand() * EMOTIONS.length));
        const seq = this.nextSeq(streamId);
        this.emit({ streamId, kind: 'audio', seq, window: { start: b.startSec, end: b.startSec + b.samples / sampleRate }, label: speech ? argmax(scores) : 'silence', scores, speech, extra: { rmsDb }, model: { name: 'emotion', version: '1' }, latencyMs: { total: 30 } });
        this.pcmBuffers.set(streamId, { samples: 0, sumSquares: 0, sampleRate, startSec: b.startSec + b.samples / sampleRate });
      }
    },
    frame: async (streamId: string, jpeg: Buffer): Promise<void> => {
      if (!this.infos.has(streamId)) throw new Error(`no stream "${streamId}"`);
      this.ingested.frames++;
      const scores = softmaxScores(ANIMALS, this.rand, 0);
      const frame = jpeg.length <= 20_000 ? jpeg.toString('base64') : this.frameBase64;
      this.emit({ streamId, kind: 'image', seq: this.nextSeq(streamId), label: argmax(scores), scores, extra: { frame }, model: { name: 'animal', version: '1' }, latencyMs: { total: 40 } });
    },
    courses: async (streamId: string, contentType: string, body: Buffer): Promise<IngestResult> => {
      const text = body.toString('utf8').trim();
      let records: unknown[];
      if (contentType === 'text/csv') records = text.split(/\r?\n/).slice(1).filter((l) => l.length > 0);
      else if (text.startsWith('[')) records = JSON.parse(text) as unknown[];
      else records = text.split(/\r?\n/).filter((l) => l.trim().length > 0).map((l) => JSON.parse(l) as unknown);
      this.ingested.courseRecords += records.length;
      for (let i = 0; i < records.length; i++) this.generateCourse(streamId);
      return { accepted: records.length, rejected: 0, errors: [] };
    },
  };

  private generateCourse(streamId: string): void {
    const wasGenerating = this.generating.has(streamId);
    this.generating.add(streamId);
    this.generate(streamId);
    if (!wasGenerating) this.generating.delete(streamId);
  }

  stats(): SystemStats {
    const now = Date.now();
    const dt = Math.max(0.001, (now - this.lastStatsAt) / 1000);
    const rate = (this.emitted - this.emittedAtLastStats) / dt;
    this.emittedAtLastStats = this.emitted;
    this.lastStatsAt = now;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
    const stages: StageStats[] = ['audio-features', 'video-features', 'inference'].map((stage) => ({ stage, messagesIn: this.emitted, messagesOut: this.emitted, deadLettered: 0, ratePerSec: rate, batchSizeMean: 1 + this.rand() * 3, lag: 0 }));
    return { at: now, uptimeSec: (now - this.started) / 1000, bus: 'embedded', stages, latencyMs: { p50: q(0.5), p99: q(0.99), count: sorted.length }, dropped: 0, deadLettered: 0, models: [{ name: 'emotion', version: '1' }, { name: 'animal', version: '1' }] };
  }
}
