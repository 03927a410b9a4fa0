import { Counter, Gauge } from 'prom-client';
import { registry } from '../core/metrics.js';
import { PairedLabels, type PairedLabelsSummary } from './paired-labels.js';

/**
 * Live quality of each served model version from feedback (true labels given for predictions, POST
 * /api/feedback): counters from which Prometheus computes accuracy and the confusion matrix, a gauge
 * of the rolling accuracy, and per version the matrix and the accuracy over time for the dashboard.
 *
 *   accuracy:  sum by (model, version) (increase(streamlens_feedback_total{correct="true"}[1h]))
 *            / sum by (model, version) (increase(streamlens_feedback_total[1h]))
 *   confusion: sum by (label, predicted) (streamlens_feedback_total{model="animal", version="2"})
 */
export const ROLLING_FEEDBACK = 100;

export const qualityMetrics = {
  feedback: new Counter({
    name: 'streamlens_feedback_total',
    help: 'Feedback received per model version: true label, predicted label and whether they agree (each prediction counted once)',
    labelNames: ['model', 'version', 'label', 'predicted', 'correct'] as const,
    registers: [registry],
  }),
  accuracy: new Gauge({
    name: 'streamlens_feedback_accuracy',
    help: `Accuracy over the last ${ROLLING_FEEDBACK} feedbacks per model version`,
    labelNames: ['model', 'version'] as const,
    registers: [registry],
  }),
  rejected: new Counter({
    name: 'streamlens_feedback_rejected_total',
    help: 'Feedback refused: bad-request, malformed-id, unknown-id, forgotten, unknown-label, conflict',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  duplicates: new Counter({
    name: 'streamlens_feedback_duplicates_total',
    help: 'Feedback repeated for a prediction that already had it (the same label; not counted again)',
    registers: [registry],
  }),
};

export interface VersionQuality extends PairedLabelsSummary {
  model: string;
  version: string;
}

/** Feedback of one gateway, per model version. */
export class LiveQuality {
  private readonly versions = new Map<string, { model: string; version: string; pairs: PairedLabels }>();

  /** Records the true label of one prediction (the caller makes sure each prediction counts once). */
  record(model: string, version: string, truth: string, predicted: string, labels: readonly string[], at = Date.now()): void {
    const key = `${model}\u0000${version}`;
    let e = this.versions.get(key);
    if (!e) this.versions.set(key, (e = { model, version, pairs: new PairedLabels(labels, { rollingWindow: ROLLING_FEEDBACK }) }));
    const rolling = e.pairs.add(truth, predicted, at);
    qualityMetrics.feedback.inc({ model, version, label: truth, predicted, correct: String(truth === predicted) });
    qualityMetrics.accuracy.set({ model, version }, rolling);
  }

  snapshot(): VersionQuality[] {
    return [...this.versions.values()].flatMap((e) => {
      const s = e.pairs.summary();
      return s ? [{ model: e.model, version: e.version, ...s }] : [];
    });
  }
}
