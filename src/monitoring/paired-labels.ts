import { accuracy, cohenKappa } from '../analysis/classification.js';
import { confusionMatrix, type ConfusionMatrix } from '../analysis/confusion.js';
import { wilsonInterval, type ProportionInterval } from '../analysis/proportion-interval.js';

/**
 * Pairs of labels given to the same items over time — (true label, predicted label) from feedback, or
 * (served answer, shadow answer) — and what follows from them: the share of pairs that agree (the
 * accuracy of feedback, the agreement of a shadow), over everything kept and over the last
 * `rollingWindow` pairs, with a Wilson 95 % interval; the confusion matrix (rows: first label,
 * columns: second); Cohen's kappa; and a history over time, one point per pair, for charts.
 * Computed with src/analysis (checked against scikit-learn and statsmodels).
 */
export interface PairedLabelsOptions {
  /** Pairs in the rolling share (default 100). */
  rollingWindow?: number;
  /** Pairs kept for the matrix and the cumulative share (default 100,000; the oldest go first). */
  keep?: number;
  /** History points kept (default 500). */
  historyLength?: number;
  /** At most one history point per this many ms (default 0: one per pair; a shadow scoring every item uses seconds). */
  historyEveryMs?: number;
}

export interface PairPoint {
  at: number;
  /** Pairs so far (kept). */
  n: number;
  /** Share agreeing over every kept pair. */
  share: number;
  /** Share agreeing over the last rollingWindow pairs. */
  rolling: number;
}

export interface PairedLabelsSummary {
  n: number;
  agreeing: number;
  share: number;
  interval: ProportionInterval;
  rolling: number;
  rollingWindow: number;
  /** NaN (sent as null) when undefined (one label only). */
  kappa: number | null;
  confusion: ConfusionMatrix;
  history: PairPoint[];
}

export class PairedLabels {
  private readonly first: string[] = [];
  private readonly second: string[] = [];
  private agreeing = 0;
  readonly history: PairPoint[] = [];
  private readonly o: Required<PairedLabelsOptions>;

  constructor(
    /** Labels the matrix always shows, in this order (the model's labels); others seen are appended. */
    private readonly labels: readonly string[],
    options: PairedLabelsOptions = {},
  ) {
    this.o = { rollingWindow: 100, keep: 100_000, historyLength: 500, historyEveryMs: 0, ...options };
  }

  get size(): number {
    return this.first.length;
  }

  /** Adds one pair; returns the rolling share after it. */
  add(a: string, b: string, at = Date.now()): number {
    this.first.push(a);
    this.second.push(b);
    if (a === b) this.agreeing++;
    if (this.first.length > this.o.keep) {
      if (this.first.shift() === this.second.shift()) this.agreeing--;
    }
    const rolling = this.rolling();
    const last = this.history.at(-1);
    if (last && at - last.at < this.o.historyEveryMs) return rolling;
    this.history.push({ at, n: this.first.length, share: this.agreeing / this.first.length, rolling });
    if (this.history.length > this.o.historyLength) this.history.shift();
    return rolling;
  }

  /** Share agreeing over the last rollingWindow pairs (src/analysis accuracy). */
  rolling(): number {
    const from = Math.max(0, this.first.length - this.o.rollingWindow);
    return accuracy(this.first.slice(from), this.second.slice(from));
  }

  summary(): PairedLabelsSummary | undefined {
    const n = this.first.length;
    if (n === 0) return undefined;
    const seen = new Set([...this.first, ...this.second]);
    const labels = [...this.labels, ...[...seen].filter((l) => !this.labels.includes(l)).sort()];
    const kappa = cohenKappa(this.first, this.second, { labels });
    return {
      n,
      agreeing: this.agreeing,
      share: this.agreeing / n,
      interval: wilsonInterval(this.agreeing, n),
      rolling: this.rolling(),
      rollingWindow: this.o.rollingWindow,
      kappa: Number.isFinite(kappa) ? kappa : null,
      confusion: confusionMatrix(this.first, this.second, labels),
      history: [...this.history],
    };
  }
}
