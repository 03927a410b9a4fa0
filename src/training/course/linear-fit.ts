import { minimizeLbfgs } from './lbfgs.js';
import { LinearModel } from '../../inference/course/linear-model.js';
import type { CsrMatrix } from '../../features/course/sparse-matrix.js';

/**
 * Fitting of the linear course models by L-BFGS on L2-regularised losses, scaled as in
 * scikit-learn (the intercept is not penalised):
 * - logistic regression: C·Σ log-loss + ½‖W‖² (softmax for >2 classes, sigmoid for 2),
 * - linear SVM (LinearSVC): one-vs-rest C·Σ squared hinge + ½‖w‖²,
 * - ridge: ‖y − Xw − b‖² + α‖w‖².
 * Objectives are divided by n·C (or n) for conditioning; the optimum is the same.
 */
export interface LinearFitOptions {
  maxIterations?: number;
  /** Per-sample weights (e.g. balanced classes); default 1. */
  sampleWeight?: Float64Array;
}

function packedSize(outputs: number, d: number): number {
  return outputs * d + outputs;
}

export function fitLogisticRegression(X: CsrMatrix, y: Int32Array, classes: number, C: number, options: LinearFitOptions = {}): LinearModel {
  const n = X.rows;
  const d = X.cols;
  const K = classes === 2 ? 1 : classes;
  const sw = options.sampleWeight;
  const wsum = sw ? sw.reduce((a, b) => a + b, 0) : n;
  const lambda = 1 / (C * wsum);
  const z = new Float64Array(K);
  const fg = (x: Float64Array, g: Float64Array): number => {
    g.fill(0);
    let f = 0;
    for (let i = 0; i < n; i++) {
      const wi = (sw ? sw[i] : 1) / wsum;
      for (let k = 0; k < K; k++) {
        let s = x[K * d + k];
        for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) s += X.values[p] * x[k * d + X.indices[p]];
        z[k] = s;
      }
      if (K === 1) {
        const t = y[i] === 1 ? 1 : -1;
        const m = t * z[0];
        f += wi * (m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m)));
        const coef = (wi * -t) / (1 + Math.exp(m));
        for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) g[X.indices[p]] += coef * X.values[p];
        g[d] += coef;
      } else {
        let mx = -Infinity;
        for (let k = 0; k < K; k++) mx = Math.max(mx, z[k]);
        let se = 0;
        for (let k = 0; k < K; k++) se += Math.exp(z[k] - mx);
        const lse = mx + Math.log(se);
        f += wi * (lse - z[y[i]]);
        for (let k = 0; k < K; k++) {
          const coef = wi * (Math.exp(z[k] - lse) - (y[i] === k ? 1 : 0));
          if (coef === 0) continue;
          const off = k * d;
          for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) g[off + X.indices[p]] += coef * X.values[p];
          g[K * d + k] += coef;
        }
      }
    }
    for (let j = 0; j < K * d; j++) {
      f += 0.5 * lambda * x[j] * x[j];
      g[j] += lambda * x[j];
    }
    return f;
  };
  const r = minimizeLbfgs(fg, new Float64Array(packedSize(K, d)), { maxIterations: options.maxIterations ?? 100, gradientTolerance: 1e-5 });
  return unpack('logistic-regression', K === 1 ? 'sigmoid' : 'softmax', classes, r.x, K, d);
}

/** One-vs-rest squared-hinge linear SVM (binary problems: one vector, class 1 positive). */
export function fitLinearSvm(X: CsrMatrix, y: Int32Array, classes: number, C: number, options: LinearFitOptions = {}): LinearModel {
  const n = X.rows;
  const d = X.cols;
  const K = classes === 2 ? 1 : classes;
  const sw = options.sampleWeight;
  const wsum = sw ? sw.reduce((a, b) => a + b, 0) : n;
  const lambda = 1 / (C * wsum);
  const all = new Float64Array(packedSize(K, d));
  for (let k = 0; k < K; k++) {
    const positive = K === 1 ? 1 : k;
    const fg = (x: Float64Array, g: Float64Array): number => {
      g.fill(0);
      let f = 0;
      for (let i = 0; i < n; i++) {
        const t = y[i] === positive ? 1 : -1;
        let s = x[d];
        for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) s += X.values[p] * x[X.indices[p]];
        const slack = 1 - t * s;
        if (slack <= 0) continue;
        const wi = (sw ? sw[i] : 1) / wsum;
        f += wi * slack * slack;
        const coef = -2 * wi * slack * t;
        for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) g[X.indices[p]] += coef * X.values[p];
        g[d] += coef;
      }
      for (let j = 0; j < d; j++) {
        f += 0.5 * lambda * x[j] * x[j];
        g[j] += lambda * x[j];
      }
      return f;
    };
    const r = minimizeLbfgs(fg, new Float64Array(d + 1), { maxIterations: options.maxIterations ?? 100, gradientTolerance: 1e-5 });
    all.set(r.x.subarray(0, d), k * d);
    all[K * d + k] = r.x[d];
  }
  return unpack('linear-svm', K === 1 ? 'sigmoid' : 'ovr-margin', classes, all, K, d);
}

export function fitRidge(X: CsrMatrix, y: Float64Array, alpha: number, options: LinearFitOptions = {}): LinearModel {
  const n = X.rows;
  const d = X.cols;
  let ym = 0;
  for (let i = 0; i < n; i++) ym += y[i];
  ym /= n;
  const fg = (x: Float64Array, g: Float64Array): number => {
    g.fill(0);
    let f = 0;
    for (let i = 0; i < n; i++) {
      let s = x[d];
      for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) s += X.values[p] * x[X.indices[p]];
      const r = s - y[i];
      f += (0.5 * r * r) / n;
      const coef = r / n;
      for (let p = X.indptr[i]; p < X.indptr[i + 1]; p++) g[X.indices[p]] += coef * X.values[p];
      g[d] += coef;
    }
    for (let j = 0; j < d; j++) {
      f += (0.5 * alpha * x[j] * x[j]) / n;
      g[j] += (alpha * x[j]) / n;
    }
    return f;
  };
  const x0 = new Float64Array(d + 1);
  x0[d] = ym;
  const r = minimizeLbfgs(fg, x0, { maxIterations: options.maxIterations ?? 500, gradientTolerance: 1e-8 });
  return unpack('ridge', 'identity', 1, r.x, 1, d);
}

function unpack(algorithm: 'logistic-regression' | 'linear-svm' | 'ridge', link: LinearModel['link'], classes: number, x: Float64Array, K: number, d: number): LinearModel {
  const weights = Array.from({ length: K }, (_, k) => Float64Array.from(x.subarray(k * d, (k + 1) * d)));
  return new LinearModel(algorithm, link, classes, weights, Float64Array.from(x.subarray(K * d, K * d + K)));
}
