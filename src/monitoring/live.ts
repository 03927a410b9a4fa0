import { Counter, Gauge } from 'prom-client';
import { registry } from '../core/metrics.js';
import type { ModelVersion } from '../models/model-repository.js';
import { detectDrift, type DriftOptions, type DriftReport } from './detect.js';
import { toBatch, type Observation } from './observations.js';
import type { ModelReference } from './reference.js';
import { loadReference } from './shipped.js';

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
   * Monitor one audio window in this many (default 4): windows hop 0.5 s over 2 s, so every 4th is a
   * non-overlapping one; the others repeat 75 % of its frames and add little but cost.
   */
  audioSampleEvery?: number;
}
export const LIVE_DEFAULTS = { windowSize: 300, every: 100, historyLength: 120, audioSampleEvery: 4 } as const;

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

/** One stream x model version: ring buffers of observations and answers. */
export class WindowMonitor {
  private readonly obs: Observation[] = [];
  private readonly answers: Answer[] = [];
  private sinceLast = 0;
  readonly history: MonitorPoint[] = [];
  last?: DriftReport;
  private readonly o: Required<LiveMonitorOptions>;

  constructor(
    readonly reference: ModelReference,
    options: LiveMonitorOptions = {},
  ) {
    this.o = { ...LIVE_DEFAULTS, psiThreshold: 0.25, psiModerate: 0.1, alpha: 0.05, minObservations: 30, ...options };
  }

  /** Adds one observation (and the model's answer when it gave one); returns the report when a window was evaluated. */
  add(o: Observation, answer?: Answer, now = Date.now()): DriftReport | undefined {
    this.obs.push(o);
    if (this.obs.length > this.o.windowSize) this.obs.shift();
    if (answer) {
      this.answers.push(answer);
      if (this.answers.length > this.o.windowSize) this.answers.shift();
    }
    if (++this.sinceLast < this.o.every || this.obs.length < this.o.windowSize) return undefined;
    this.sinceLast = 0;
    const r = detectDrift(
      this.reference,
      toBatch(this.obs),
      this.answers.length ? { labels: this.answers.map((a) => a.label), confidences: this.answers.map((a) => a.confidence), unknown: this.answers.map((a) => a.unknown) } : undefined,
      this.o,
    );
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

  constructor(private readonly options: LiveMonitorOptions = {}) {}

  /** Whether this item of the stream is monitored (audio: one window in audioSampleEvery; others: all). Call once per item. */
  sample(stream: string, kind: string): boolean {
    if (kind !== 'audio') return true;
    const every = this.options.audioSampleEvery ?? LIVE_DEFAULTS.audioSampleEvery;
    const n = this.seen.get(stream) ?? 0;
    this.seen.set(stream, n + 1);
    return n % every === 0;
  }

  observe(stream: string, v: ModelVersion, o: Observation, answer?: Answer, now = Date.now()): void {
    const model = v.manifest.name;
    const version = v.manifest.version;
    const refKey = `${v.dir}`;
    let ref = this.refs.get(refKey);
    if (ref === undefined) {
      try {
        ref = loadReference(v) ?? null;
      } catch {
        ref = null;
      }
      this.refs.set(refKey, ref);
    }
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
  snapshot(): { stream: string; model: string; version: string; history: MonitorPoint[]; features: { name: string; score: number; drift: boolean }[] }[] {
    return [...this.monitors.values()].map((e) => ({
      stream: e.stream,
      model: e.model,
      version: e.version,
      history: [...e.m.history],
      features: (e.m.last?.features ?? []).map((f) => ({ name: f.name, score: f.score, drift: f.drift })),
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
export const liveMonitoring: LiveMonitoring | undefined = process.env.STREAMLENS_MONITORING === 'off' ? undefined : new LiveMonitoring();
