import { type CsrMatrix, rowDot } from '../../features/course/sparse-matrix.js';

/**
 * A linear model over the course design matrix: logistic regression (softmax or sigmoid link),
 * linear SVM (one-vs-rest margins) or ridge regression (identity link). One weight vector per
 * output; binary problems have a single output whose positive side is class 1.
 * Exact SHAP values of a linear model with independent features: phi_j = w_j (x_j - mean_j),
 * in the margin (log-odds / decision value / prediction) space.
 */
export type LinearLink = 'softmax' | 'sigmoid' | 'ovr-margin' | 'identity';

export interface LinearModelJson {
  type: 'linear';
  algorithm: 'logistic-regression' | 'linear-svm' | 'ridge';
  link: LinearLink;
  /** Number of classes (1 for regression). */
  classes: number;
  weights: number[][];
  bias: number[];
}

export class LinearModel {
  constructor(
    readonly algorithm: LinearModelJson['algorithm'],
    readonly link: LinearLink,
    readonly classes: number,
    readonly weights: Float64Array[],
    readonly bias: Float64Array,
  ) {}

  static fromJSON(j: LinearModelJson): LinearModel {
    return new LinearModel(j.algorithm, j.link, j.classes, j.weights.map((w) => Float64Array.from(w)), Float64Array.from(j.bias));
  }

  toJSON(): LinearModelJson {
    return {
      type: 'linear',
      algorithm: this.algorithm,
      link: this.link,
      classes: this.classes,
      weights: this.weights.map((w) => Array.from(w, round6)),
      bias: Array.from(this.bias, round6),
    };
  }

  /** Raw margins of row r, one per output. */
  margins(X: CsrMatrix, r: number): number[] {
    return this.weights.map((w, k) => rowDot(X, r, w) + this.bias[k]);
  }

  /** Class scores (probabilities for logistic; squashed margins for the SVM), n x classes. */
  predictScores(X: CsrMatrix): Float64Array[] {
    const out: Float64Array[] = [];
    for (let r = 0; r < X.rows; r++) {
      const z = this.margins(X, r);
      if (this.weights.length === 1 && this.classes === 2) {
        const p = 1 / (1 + Math.exp(-z[0]));
        out.push(Float64Array.of(1 - p, p));
      } else out.push(softmax(z));
    }
    return out;
  }

  /** Regression predictions (identity link). */
  predict(X: CsrMatrix): Float64Array {
    const out = new Float64Array(X.rows);
    for (let r = 0; r < X.rows; r++) out[r] = rowDot(X, r, this.weights[0]) + this.bias[0];
    return out;
  }

  /**
   * Exact linear SHAP of row r for output `output` (for binary models output 1 is the positive
   * class): contribution of column j = w_j (x_j - mean_j), dense over all columns (a column absent
   * from the row contributes -w_j mean_j).
   */
  shap(X: CsrMatrix, r: number, means: ArrayLike<number>, output: number): Float64Array {
    const binary = this.weights.length === 1 && this.classes === 2;
    const w = this.weights[binary ? 0 : output];
    const sign = binary && output === 0 ? -1 : 1;
    const phi = new Float64Array(w.length);
    for (let c = 0; c < w.length; c++) phi[c] = -sign * w[c] * means[c];
    for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) {
      const c = X.indices[p];
      phi[c] = sign * w[c] * (X.values[p] - means[c]);
    }
    return phi;
  }
}

export function softmax(z: readonly number[]): Float64Array {
  const m = Math.max(...z);
  const e = Float64Array.from(z, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  for (let i = 0; i < e.length; i++) e[i] /= s;
  return e;
}

export function round6(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(6));
}
