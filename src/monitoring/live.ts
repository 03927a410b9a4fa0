import { Counter, Gauge } from 'prom-client';
import { registry } from '../core/metrics.js';
import type { ModelVersion } from '../models/model-repository.js';
import { detectDrift, type DriftInput, type DriftOptions, type DriftReport } from './detect.js';
import type { Observation } from './observations.js';
import type { ModelReference } from './reference.js';
import { LiveEmbedder } from './live-embedding.js';
import { loadReference } from './shipped.js';
import { envValue } from '../core/environment.js';

/**
 * Live drift monitoring: per stream and model version, a sliding window of the last `windowSize`
 * observations (default 300) is compared with the version's training reference every `every`
 * observations (default 100), with the same detectors as `streamlens monitor`. Results go to
 * Prometheus gauges (labels stream, model, version) and to a short in-process history that the
 * gateway's monitoring endpoint serves to the dashboard.
 */
export interface LiveMonitorOptions extends DriftOptions {
  windowSize?: number;
  every?: number;
  /** Evaluations kept per stream and model (history for the dashboard). */
  historyLength?: number;
  /**
   * Monitor one audio window in this many (default 8): windows hop 0.5 s over 2 s, so every 4th is a
   * non-overlapping one (the others repeat 75 % of its frames), and every 8th covers half the audio:
   * the audio model scores a window in about 0.06-0.09 ms, so monitoring more would cost over 3 %.
   */
  audioSampleEvery?: number;
  /** Monitor one image in this many (default 4): consecutive frames of a camera are close to alike. */
  imageSampleEvery?: number;
  /**
   * Monitor one course record in this many (default 8): scoring a record costs about 0.06 ms, so a
   * drift evaluation (a few hundred microseconds every 100 monitored records) is weighed against very
   * little; records are independent, and one in 8 estimates the same distributions.
   */
  courseSampleEvery?: number;
  /**
   * Of the monitored images, also take the backbone embedding of one in this many (default 16, so one
   * image in 64): an embedding is one more backbone pass (about 2.7 ms on the cascade's fast graph,
   * 40 % of the served cascade's average cost per image).
   * The embedding features keep their own last `windowSize` values, spanning more images.
   */
  embeddingSampleEvery?: number;
}
export const LIVE_DEFAULTS = { windowSize: 300, every: 100, historyLength: 120, audioSampleEvery: 8, imageSampleEvery: 4, courseSampleEvery: 8, embeddingSampleEvery: 16 } as const;

const labelNames = ['stream', 'model', 'version'] as const;
export const monitorMetrics = {
  driftScore: new Gauge({ name: 'streamlens_monitor_drift_score', help: 'Largest feature PSI of the last window against the training reference', labelNames, registers: [registry] }),
  driftingFeatures: new Gauge({ name: 'streamlens_monitor_drifting_features', help: 'Features drifting in the last window (PSI >= 0.25 and Holm-corrected test p < 0.05)', labelNames, registers: [registry] }),
  drift: new Gauge({ name: 'streamlens_monitor_drift', help: '1 when the last window drifts (any feature or the predicted labels), else 0', labelNames, registers: [registry] }),
  predictionShareChange: new Gauge({ name: 'streamlens_monitor_prediction_share_change', help: 'Largest absolute change of one predicted label share vs the training reference', labelNames, registers: [registry] }),
  predictionPsi: new Gauge({ name: 'streamlens_monitor_prediction_psi', help: 'PSI of the predicted-label shares vs the training reference', labelNames, registers: [registry] }),
  unknownRate: new Gauge({ name: 'streamlens_monitor_unknown_rate', help: 'Share of answers below the unknown threshold in the last window', labelNames, registers: [registry] }),
  meanConfidence: new Gauge({ name: 'streamlens_monitor_mean_confidence', help: 'Mean top-class probability in the last window', labelNames, registers: [registry] }),
  windows: new Counter({ name: 'streamlens_monitor_windows_total', help: 'Monitoring windows evaluated', labelNames, registers: [registry] }),
};

export interface MonitorPoint {
  at: number;
  observations: number;
  score: number;
  driftingFeatures: number;
  drift: boolean;
  predictionShareChange: number;
  unknownRate: number;
  meanConfidence: number;
  drifting: string[];
}

interface Answer {
  label: string;
  confidence: number;
  unknown: boolean;
}

/** A fixed-size ring of the last values of one feature (order inside the ring is irrelevant to the detectors). */
class Ring<T extends Float64Array | string[]> {
  n = 0;
  private next = 0;
  constructor(readonly values: T) {}
  push(x: T[number]): void {
    this.values[this.next] = x;
    this.next = (this.next + 1) % this.values.length;
    if (this.n < this.values.length) this.n++;
  }
  /** The values held (a view, not a copy, for the typed rings). */
  held(): T {
    return (this.values instanceof Float64Array ? this.values.subarray(0, this.n) : this.values.slice(0, this.n)) as T;
  }
}

/**
 * One stream x model version: per reference feature, a ring of its last `windowSize` values
 * (preallocated, so adding an observation allocates nothing), and rings of the model's answers.
 * A feature observed more sparsely (image embeddings, 1 photo in N) keeps its own last
 * `windowSize` values, spanning more items.
 */
export class WindowMonitor {
  private readonly numeric: { name: string; ring: Ring<Float64Array> }[];
  private readonly categorical: { name: string; ring: Ring<string[]> }[];
  private readonly labels: Ring<string[]>;
  private readonly confidences: Ring<Float64Array>;
  private readonly unknown: Ring<Float64Array>;
  private observed = 0;
  private sinceLast = 0;
  readonly history: MonitorPoint[] = [];
  last?: DriftReport;
  private readonly o: Required<LiveMonitorOptions>;

  constructor(
    readonly reference: ModelReference,
    options: LiveMonitorOptions = {},
  ) {
    this.o = { ...LIVE_DEFAULTS, psiThreshold: 0.25, psiModerate: 0.1, alpha: 0.05, minObservations: 30, ...options };
    const w = this.o.windowSize;
    this.numeric = reference.features.filter((f) => f.kind === 'numeric').map((f) => ({ name: f.name, ring: new Ring(new Float64Array(w)) }));
    this.categorical = reference.features.filter((f) => f.kind === 'categorical').map((f) => ({ name: f.name, ring: new Ring(new Array<string>(w)) }));
    this.labels = new Ring(new Array<string>(w));
    this.confidences = new Ring(new Float64Array(w));
    this.unknown = new Ring(new Float64Array(w));
  }

  /** Adds one observation (and the model's answer when it gave one); returns the report when a window was evaluated. */
  add(o: Observation, answer?: Answer, now = Date.now()): DriftReport | undefined {
    for (const c of this.numeric) {
      const x = o.numeric[c.name];
      if (x !== undefined) c.ring.push(x);
    }
    for (const c of this.categorical) {
      const x = o.categorical[c.name];
      if (x !== undefined) c.ring.push(x);
    }
    if (answer) {
      this.labels.push(answer.label);
      this.confidences.push(answer.confidence);
      this.unknown.push(answer.unknown ? 1 : 0);
    }
    if (this.observed < this.o.windowSize) this.observed++;
    if (++this.sinceLast < this.o.every || this.observed < this.o.windowSize) return undefined;
    this.sinceLast = 0;
    return this.evaluate(now);
  }

  private evaluate(now: number): DriftReport {
    const batch: DriftInput = { numeric: {}, categorical: {} };
    for (const c of this.numeric) if (c.ring.n) batch.numeric[c.name] = c.ring.held();
    for (const c of this.categorical) if (c.ring.n) batch.categorical[c.name] = c.ring.held();
    const predictions = this.labels.n ? { labels: this.labels.held(), confidences: this.confidences.held(), unknown: this.unknown.held() } : undefined;
    const r = detectDrift(this.reference, batch, predictions, this.o);
    this.last = r;
    this.history.push({
      at: now,
      observations: r.observations,
      score: r.score,
      driftingFeatures: r.driftingFeatures,
      drift: r.drift,
      predictionShareChange: r.predictions?.maxShareChange ?? 0,
      unknownRate: r.predictions?.unknownRate.batch ?? 0,
      meanConfidence: r.predictions?.meanConfidence.batch ?? 0,
      drifting: r.features.filter((f) => f.drift).map((f) => f.name),
    });
    if (this.history.length > this.o.historyLength) this.history.shift();
    return r;
  }
}

/** All window monitors of a process, keyed by stream and model version; references loaded once per version. */
export class LiveMonitoring {
  private readonly monitors = new Map<string, { stream: string; model: string; version: string; m: WindowMonitor }>();
  private readonly refs = new Map<string, ModelReference | null>();
  private readonly seen = new Map<string, number>();
  private readonly embedded = new Map<string, number>();
  private readonly embedder = new LiveEmbedder();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: LiveMonitorOptions = {}) {}

  /** Whether this item of the stream is monitored (one audio window, image or course record in the kind's *SampleEvery). Call once per item. */
  sample(stream: string, kind: 'audio' | 'image' | 'course'): boolean {
    const o = { ...LIVE_DEFAULTS, ...this.options };
    const every = kind === 'audio' ? o.audioSampleEvery : kind === 'image' ? o.imageSampleEvery : o.courseSampleEvery;
    if (every <= 1) return true;
    const key = `${kind}\u0000${stream}`;
    const n = this.seen.get(key) ?? 0;
    this.seen.set(key, n + 1);
    return n % every === 0;
  }

  private referenceOf(v: ModelVersion): ModelReference | null {
    let ref = this.refs.get(v.dir);
    if (ref === undefined) {
      try {
        ref = loadReference(v) ?? null;
      } catch {
        ref = null;
      }
      this.refs.set(v.dir, ref);
    }
    return ref;
  }

  /**
   * A monitored image: its pixel observation, and for one in embeddingSampleEvery (when the version's
   * reference has an embedding summary) its backbone-embedding features, computed off the caller's
   * path; that image is observed once they are ready.
   */
  observeImage(stream: string, v: ModelVersion, o: Observation, modelInput: Float32Array, answer?: Answer): void {
    const summary = this.referenceOf(v)?.embedding;
    const every = this.options.embeddingSampleEvery ?? LIVE_DEFAULTS.embeddingSampleEvery;
    const n = this.embedded.get(stream) ?? 0;
    this.embedded.set(stream, n + 1);
    if (!summary || n % every !== 0) return this.observe(stream, v, o, answer);
    const p: Promise<void> = this.embedder
      .features(v, summary, modelInput)
      .then(
        (f) => this.observe(stream, v, f ? { numeric: { ...o.numeric, ...f }, categorical: o.categorical } : o, answer),
        () => this.observe(stream, v, o, answer),
      )
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves when every embedding under way has been observed (tests, benchmarks, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    await this.idle();
    await this.embedder.close();
  }

  observe(stream: string, v: ModelVersion, o: Observation, answer?: Answer, now = Date.now()): void {
    const model = v.manifest.name;
    const version = v.manifest.version;
    const ref = this.referenceOf(v);
    if (!ref) return;
    const key = `${stream}\u0000${model}\u0000${version}`;
    let e = this.monitors.get(key);
    if (!e) this.monitors.set(key, (e = { stream, model, version, m: new WindowMonitor(ref, this.options) }));
    const r = e.m.add(o, answer, now);
    if (!r) return;
    const l = { stream, model, version };
    monitorMetrics.driftScore.set(l, r.score);
    monitorMetrics.driftingFeatures.set(l, r.driftingFeatures);
    monitorMetrics.drift.set(l, r.drift ? 1 : 0);
    monitorMetrics.windows.inc(l);
    if (r.predictions) {
      monitorMetrics.predictionShareChange.set(l, r.predictions.maxShareChange);
      monitorMetrics.predictionPsi.set(l, r.predictions.labelPsi);
      monitorMetrics.unknownRate.set(l, r.predictions.unknownRate.batch);
      monitorMetrics.meanConfidence.set(l, r.predictions.meanConfidence.batch);
    }
  }

  /** History and latest feature scores of every monitored stream x model (the dashboard's Monitoring view). */
  snapshot(): { stream: string; model: string; version: string; history: MonitorPoint[]; features: { name: string; score: number; drift: boolean; n: number }[] }[] {
    return [...this.monitors.values()].map((e) => ({
      stream: e.stream,
      model: e.model,
      version: e.version,
      history: [...e.m.history],
      features: (e.m.last?.features ?? []).map((f) => ({ name: f.name, score: f.score, drift: f.drift, n: f.batch.n })),
    }));
  }
}

/** Alerts firing now, by the rules of deploy/prometheus/alerts.yml evaluated over the in-process history (for: 10m). */
export function firingAlerts(snapshot: ReturnType<LiveMonitoring['snapshot']>, forMs = 600_000): { alert: string; severity: string; stream: string; model: string; version: string; since: number; summary: string }[] {
  const out: ReturnType<typeof firingAlerts> = [];
  const rules: { alert: string; severity: string; hit: (p: MonitorPoint) => boolean; summary: (p: MonitorPoint) => string }[] = [
    { alert: 'StreamlensInputDrift', severity: 'warning', hit: (p) => p.driftingFeatures > 0, summary: (p) => `${p.driftingFeatures} feature(s) drifting: ${p.drifting.join(', ')}` },
    { alert: 'StreamlensMajorDriftScore', severity: 'critical', hit: (p) => p.score >= 1, summary: (p) => `largest feature PSI ${p.score.toFixed(2)}` },
    { alert: 'StreamlensUnknownRateHigh', severity: 'warning', hit: (p) => p.unknownRate > 0.3, summary: (p) => `unknown rate ${(p.unknownRate * 100).toFixed(0)} %` },
  ];
  for (const m of snapshot) {
    const h = m.history;
    if (h.length === 0) continue;
    for (const r of rules) {
      let i = h.length - 1;
      if (!r.hit(h[i])) continue;
      while (i > 0 && r.hit(h[i - 1])) i--;
      const since = h[i].at;
      if (h[h.length - 1].at - since >= forMs) out.push({ alert: r.alert, severity: r.severity, stream: m.stream, model: m.model, version: m.version, since, summary: r.summary(h[h.length - 1]) });
    }
  }
  return out;
}

/** The process's live monitoring (off with STREAMLENS_MONITORING=off). */
export const liveMonitoring: LiveMonitoring | undefined = envValue('STREAMLENS_MONITORING') ? new LiveMonitoring() : undefined;
