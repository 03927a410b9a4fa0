/**
 * Multinomial naive Bayes over course title tokens, kept incrementally: adding or removing a
 * document updates per-label counts, so P(label | query) follows the catalogue as courses stream
 * in and needs no external model. The recommender keeps one for subjects (the subject affinity of
 * a candidate is P(candidate.subject | query)) and one for levels.
 *
 * log P(label | tokens) ∝ log (n_label + 1) + Σ_t log ((count(t, label) + α) / (tokens(label) + α·|V|)),
 * normalised over the labels (softmax of the log scores). Tokens come from the course pipeline's
 * tokenize() / titleTokens. Query tokens the catalogue has never seen add nothing (they would
 * change every label's score by nearly the same amount).
 */
export const DEFAULT_SMOOTHING = 1;

export interface LabelPosterior {
  /** Label codes (as handed to add) with their probabilities; codes never seen are absent. */
  probabilities: Float64Array;
  /** Most probable label code, -1 when the model holds no documents. */
  best: number;
}

export class NaiveBayesAffinity {
  /** Documents per label code. */
  private readonly documents: number[] = [];
  /** Token occurrences per label code. */
  private readonly tokenTotals: number[] = [];
  /** Per token, occurrences per label code (sparse: a short array indexed by code). */
  private readonly counts = new Map<string, number[]>();
  private totalDocuments = 0;

  constructor(readonly smoothing = DEFAULT_SMOOTHING) {
    if (!(smoothing > 0)) throw new Error(`naive Bayes smoothing must be > 0, got ${smoothing}`);
  }

  get size(): number {
    return this.totalDocuments;
  }

  get vocabularySize(): number {
    return this.counts.size;
  }

  /** Counts a document of label `code` (a small non-negative integer). */
  add(code: number, tokens: readonly string[]): void {
    this.update(code, tokens, 1);
  }

  /** Un-counts a document added before with the same code and tokens. */
  remove(code: number, tokens: readonly string[]): void {
    if (!((this.documents[code] ?? 0) > 0)) throw new Error(`naive Bayes: no document of label ${code} to remove`);
    this.update(code, tokens, -1);
  }

  /** P(label | tokens) for every label code 0..labels-1 (0 for a label with no documents). */
  posterior(tokens: readonly string[], labels: number): LabelPosterior {
    const probabilities = new Float64Array(labels);
    if (this.totalDocuments === 0) return { probabilities, best: -1 };
    const logScore = new Float64Array(labels);
    const a = this.smoothing;
    const v = Math.max(1, this.counts.size);
    const known = tokens.filter((t) => this.counts.has(t));
    for (let c = 0; c < labels; c++) {
      const n = this.documents[c] ?? 0;
      if (n === 0) {
        logScore[c] = -Infinity;
        continue;
      }
      const denominator = Math.log((this.tokenTotals[c] ?? 0) + a * v);
      let s = Math.log(n + 1);
      for (const t of known) s += Math.log((this.counts.get(t)![c] ?? 0) + a) - denominator;
      logScore[c] = s;
    }
    let max = -Infinity;
    let best = -1;
    for (let c = 0; c < labels; c++) if (logScore[c] > max) [max, best] = [logScore[c], c];
    let sum = 0;
    for (let c = 0; c < labels; c++) sum += probabilities[c] = Number.isFinite(logScore[c]) ? Math.exp(logScore[c] - max) : 0;
    for (let c = 0; c < labels; c++) probabilities[c] /= sum;
    return { probabilities, best };
  }

  private update(code: number, tokens: readonly string[], delta: 1 | -1): void {
    if (!Number.isInteger(code) || code < 0) throw new Error(`naive Bayes label code must be a non-negative integer, got ${code}`);
    while (this.documents.length <= code) {
      this.documents.push(0);
      this.tokenTotals.push(0);
    }
    this.documents[code] += delta;
    this.totalDocuments += delta;
    this.tokenTotals[code] += delta * tokens.length;
    for (const t of tokens) {
      let row = this.counts.get(t);
      if (!row) this.counts.set(t, (row = []));
      while (row.length <= code) row.push(0);
      row[code] += delta;
      if (delta < 0 && row.every((x) => x === 0)) this.counts.delete(t);
    }
  }
}
