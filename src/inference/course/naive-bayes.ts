import { round6 } from './linear-model.js';
import type { CsrMatrix } from '../../features/course/sparse-matrix.js';

/**
 * Naive Bayes for mixed course features: Gaussian likelihoods for the numeric columns
 * (scikit-learn GaussianNB, var_smoothing) and a multinomial likelihood over the non-negative
 * TF-IDF columns (MultinomialNB with Laplace/Lidstone alpha). Either part may be empty.
 * Its additive per-feature log-likelihood terms serve as its explanation.
 */
export interface NaiveBayesJson {
  type: 'naive-bayes';
  classes: number;
  logPrior: number[];
  gaussianColumns: number[];
  /** [class][i] over gaussianColumns. */
  mean: number[][];
  variance: number[][];
  multinomialColumns: number[];
  /** [class][i] over multinomialColumns: log θ. */
  logTheta: number[][];
}

export class NaiveBayes {
  private readonly gPos: Map<number, number>;
  private readonly mPos: Map<number, number>;
  constructor(readonly j: NaiveBayesJson) {
    this.gPos = new Map(j.gaussianColumns.map((c, i) => [c, i]));
    this.mPos = new Map(j.multinomialColumns.map((c, i) => [c, i]));
  }

  static fromJSON(j: NaiveBayesJson): NaiveBayes {
    return new NaiveBayes(j);
  }

  toJSON(): NaiveBayesJson {
    const r = (m: number[][]) => m.map((row) => row.map(round6));
    return { ...this.j, logPrior: this.j.logPrior.map(round6), mean: r(this.j.mean), variance: r(this.j.variance), logTheta: r(this.j.logTheta) };
  }

  /** Per-class additive terms of row r: feature -> log-likelihood per class. */
  terms(X: CsrMatrix, r: number): Map<number, number[]> {
    const K = this.j.classes;
    const out = new Map<number, number[]>();
    const xg = new Float64Array(this.j.gaussianColumns.length);
    for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) {
      const c = X.indices[p];
      const g = this.gPos.get(c);
      if (g !== undefined) xg[g] = X.values[p];
      const m = this.mPos.get(c);
      if (m !== undefined && X.values[p] !== 0) out.set(c, Array.from({ length: K }, (_, k) => X.values[p] * this.j.logTheta[k][m]));
    }
    this.j.gaussianColumns.forEach((c, i) => {
      out.set(
        c,
        Array.from({ length: K }, (_, k) => {
          const v = this.j.variance[k][i];
          return -0.5 * Math.log(2 * Math.PI * v) - (xg[i] - this.j.mean[k][i]) ** 2 / (2 * v);
        }),
      );
    });
    return out;
  }

  predictScores(X: CsrMatrix): Float64Array[] {
    const K = this.j.classes;
    const res: Float64Array[] = [];
    for (let r = 0; r < X.rows; r++) {
      const ll = Float64Array.from(this.j.logPrior);
      for (const v of this.terms(X, r).values()) for (let k = 0; k < K; k++) ll[k] += v[k];
      const mx = Math.max(...ll);
      let s = 0;
      for (let k = 0; k < K; k++) s += ll[k] = Math.exp(ll[k] - mx);
      for (let k = 0; k < K; k++) ll[k] /= s;
      res.push(ll);
    }
    return res;
  }
}
