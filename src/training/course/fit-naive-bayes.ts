import type { CsrMatrix } from '../../features/course/sparse-matrix.js';
import { NaiveBayes } from '../../inference/course/naive-bayes.js';

/** Fitting the mixed Gaussian + multinomial naive Bayes (the served model is src/inference/course/naive-bayes.ts). */
export interface NaiveBayesFitOptions {
  gaussianColumns: number[];
  multinomialColumns: number[];
  alpha: number;
  varSmoothing?: number;
}

export function fitNaiveBayes(X: CsrMatrix, y: Int32Array, classes: number, o: NaiveBayesFitOptions): NaiveBayes {
  const K = classes;
  const G = o.gaussianColumns.length;
  const M = o.multinomialColumns.length;
  const gPos = new Map(o.gaussianColumns.map((c, i) => [c, i]));
  const mPos = new Map(o.multinomialColumns.map((c, i) => [c, i]));
  const count = new Float64Array(K);
  const sum = Array.from({ length: K }, () => new Float64Array(G));
  const sumSq = Array.from({ length: K }, () => new Float64Array(G));
  const feat = Array.from({ length: K }, () => new Float64Array(M));
  for (let r = 0; r < X.rows; r++) {
    const k = y[r];
    count[k]++;
    for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) {
      const c = X.indices[p];
      const v = X.values[p];
      const g = gPos.get(c);
      if (g !== undefined) {
        sum[k][g] += v;
        sumSq[k][g] += v * v;
      }
      const m = mPos.get(c);
      if (m !== undefined) {
        if (v < 0) throw new Error(`naive Bayes: multinomial column ${c} has a negative value ${v}`);
        feat[k][m] += v;
      }
    }
  }
  // var_smoothing relative to the largest overall variance, as scikit-learn
  let maxVar = 0;
  for (let g = 0; g < G; g++) {
    let s = 0;
    let s2 = 0;
    for (let k = 0; k < K; k++) {
      s += sum[k][g];
      s2 += sumSq[k][g];
    }
    maxVar = Math.max(maxVar, s2 / X.rows - (s / X.rows) ** 2);
  }
  const eps = (o.varSmoothing ?? 1e-9) * maxVar;
  const mean = sum.map((row, k) => Array.from(row, (s) => s / Math.max(1, count[k])));
  const variance = sumSq.map((row, k) => Array.from(row, (s2, g) => s2 / Math.max(1, count[k]) - mean[k][g] ** 2 + eps));
  const logTheta = feat.map((row) => {
    const total = row.reduce((a, b) => a + b, 0) + o.alpha * M;
    return Array.from(row, (v) => Math.log((v + o.alpha) / total));
  });
  const n = X.rows;
  return new NaiveBayes({
    type: 'naive-bayes',
    classes: K,
    logPrior: Array.from(count, (c) => Math.log(c / n)),
    gaussianColumns: o.gaussianColumns,
    mean,
    variance,
    multinomialColumns: o.multinomialColumns,
    logTheta,
  });
}
