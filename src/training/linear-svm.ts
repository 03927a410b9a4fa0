import { SeededRandom } from '../core/random.js';

/**
 * Linear support vector machine, one-vs-rest: for each class a binary hinge-loss SVM
 * (min ½|w|² + C Σ max(0, 1 − y wᵀx)), with the intercept learnt as the weight of a constant 1
 * feature (so it is regularised too), solved by dual coordinate descent (Hsieh et al. 2008).
 * This is liblinear's L2-regularised L1-loss dual solver, i.e. scikit-learn's
 * LinearSVC(loss='hinge', dual=True, intercept_scaling=1); a sample is assigned the class of the
 * largest decision value.
 */
export interface LinearSvmOptions {
  /** Penalty C (default 1). */
  c?: number;
  /** Stop when the projected-gradient spread of a pass is below this (default 1e-4, scikit-learn's tol). */
  tolerance?: number;
  /** Passes over the data per class at most (default 1000, scikit-learn's max_iter). */
  maxIterations?: number;
  seed?: number;
}

export interface LinearSvm {
  classes: number;
  /** weights[k]: class k's weights, the intercept last. */
  weights: Float64Array[];
  /** Passes each binary problem took (maxIterations = not converged). */
  iterations: number[];
}

export function fitLinearSvm(x: readonly ArrayLike<number>[], y: ArrayLike<number>, classes: number, o: LinearSvmOptions = {}): LinearSvm {
  const n = x.length;
  if (n === 0 || y.length !== n) throw new Error(`fitLinearSvm: ${n} rows and ${y.length} labels`);
  const p = x[0].length;
  const c = o.c ?? 1;
  const tol = o.tolerance ?? 1e-4;
  const maxIter = o.maxIterations ?? 1000;
  const rows = x.map((r) => {
    const a = new Float64Array(p + 1);
    for (let j = 0; j < p; j++) a[j] = r[j];
    a[p] = 1;
    return a;
  });
  const qii = rows.map((r) => r.reduce((s, v) => s + v * v, 0));
  const rng = new SeededRandom(o.seed ?? 0);
  const weights: Float64Array[] = [];
  const iterations: number[] = [];
  for (let k = 0; k < classes; k++) {
    const sign = Float64Array.from({ length: n }, (_, i) => (y[i] === k ? 1 : -1));
    const w = new Float64Array(p + 1);
    const alpha = new Float64Array(n);
    const order = Array.from({ length: n }, (_, i) => i);
    let it = 0;
    for (; it < maxIter; it++) {
      rng.shuffle(order);
      let maxPg = -Infinity;
      let minPg = Infinity;
      for (const i of order) {
        const r = rows[i];
        let g = 0;
        for (let j = 0; j <= p; j++) g += w[j] * r[j];
        g = sign[i] * g - 1;
        const pg = alpha[i] === 0 ? Math.min(g, 0) : alpha[i] === c ? Math.max(g, 0) : g;
        if (pg > maxPg) maxPg = pg;
        if (pg < minPg) minPg = pg;
        if (Math.abs(pg) > 1e-12 && qii[i] > 0) {
          const old = alpha[i];
          alpha[i] = Math.min(Math.max(old - g / qii[i], 0), c);
          const d = (alpha[i] - old) * sign[i];
          for (let j = 0; j <= p; j++) w[j] += d * r[j];
        }
      }
      if (maxPg - minPg < tol) break;
    }
    weights.push(w);
    iterations.push(Math.min(it + 1, maxIter));
  }
  return { classes, weights, iterations };
}

/** Decision values [n][classes]: wₖᵀx + bₖ. */
export function linearSvmScores(m: LinearSvm, x: readonly ArrayLike<number>[]): Float64Array[] {
  return x.map((r) =>
    Float64Array.from(m.weights, (w) => {
      let s = w[w.length - 1];
      for (let j = 0; j < w.length - 1; j++) s += w[j] * r[j];
      return s;
    }),
  );
}
