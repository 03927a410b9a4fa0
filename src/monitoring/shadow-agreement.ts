import { Counter, Gauge } from 'prom-client';
import { registry } from '../core/metrics.js';
import { PairedLabels, type PairedLabelsSummary } from './paired-labels.js';

/**
 * Agreement between the served version of a model and its shadow version (config
 * `models.<name>.shadow`) on the same items: counters per answer pair, a gauge of the agreement over
 * the last ROLLING_SHADOW items, the time the shadow costs, what it skipped and why; and per model,
 * served and shadow version the served-vs-shadow matrix and the agreement over time for the dashboard.
 */
export const ROLLING_SHADOW = 500;

const labelNames = ['model', 'served', 'shadow'] as const;
export const shadowMetrics = {
  items: new Counter({ name: 'streamlens_shadow_items_total', help: 'Items scored by both the served and the shadow version, by whether their answers agree', labelNames: [...labelNames, 'agree'] as const, registers: [registry] }),
  agreement: new Gauge({ name: 'streamlens_shadow_agreement', help: `Share of the last ${ROLLING_SHADOW} items on which the shadow version gave the served version's answer`, labelNames, registers: [registry] }),
  seconds: new Counter({ name: 'streamlens_shadow_seconds_total', help: 'Wall time spent scoring shadow versions (off the served path)', labelNames: ['model', 'shadow'] as const, registers: [registry] }),
  skipped: new Counter({ name: 'streamlens_shadow_skipped_total', help: 'Items the shadow version did not score: busy (its queue was full), unavailable (it does not load), feature-mismatch, error', labelNames: ['model', 'shadow', 'reason'] as const, registers: [registry] }),
};

export interface ShadowSummary extends PairedLabelsSummary {
  model: string;
  served: string;
  shadow: string;
}

export class ShadowAgreement {
  private readonly pairs = new Map<string, { model: string; served: string; shadow: string; pairs: PairedLabels }>();

  /** One item's answers: the served version's and the shadow's. */
  record(model: string, served: string, shadow: string, servedLabel: string, shadowLabel: string, labels: readonly string[], at = Date.now()): void {
    const key = `${model}\u0000${served}\u0000${shadow}`;
    let e = this.pairs.get(key);
    if (!e) this.pairs.set(key, (e = { model, served, shadow, pairs: new PairedLabels(labels, { rollingWindow: ROLLING_SHADOW, keep: 10_000, historyEveryMs: 5000 }) }));
    const rolling = e.pairs.add(servedLabel, shadowLabel, at);
    shadowMetrics.items.inc({ model, served, shadow, agree: String(servedLabel === shadowLabel) });
    shadowMetrics.agreement.set({ model, served, shadow }, rolling);
  }

  timeSpent(model: string, shadow: string, seconds: number): void {
    shadowMetrics.seconds.inc({ model, shadow }, seconds);
  }

  skipped(model: string, shadow: string, reason: 'busy' | 'unavailable' | 'feature-mismatch' | 'error', items = 1): void {
    shadowMetrics.skipped.inc({ model, shadow, reason }, items);
  }

  snapshot(): ShadowSummary[] {
    return [...this.pairs.values()].flatMap((e) => {
      const s = e.pairs.summary();
      return s ? [{ model: e.model, served: e.served, shadow: e.shadow, ...s }] : [];
    });
  }
}

/** The process's shadow agreement (the inference stages of this process record into it). */
export const shadowAgreement = new ShadowAgreement();
