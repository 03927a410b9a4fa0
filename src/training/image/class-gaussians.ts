/**
 * Class-conditional Gaussians over embeddings, with one shared covariance (Lee et al., 2018, "A simple
 * unified framework for detecting out-of-distribution samples") or one covariance per class: the
 * Mahalanobis distance of an embedding to the nearest class mean (under that class's covariance) is an
 * out-of-distribution score for the classifier head on top. Each covariance is shrunk towards its mean
 * variance, (1 - s) S + s (tr S / d) I, so it stays positive definite with fewer photos than
 * dimensions. Hand-written: a 512 x 512 Cholesky factor is all it needs, and no maintained npm
 * linear-algebra package is used elsewhere in the project.
 */
export type CovarianceKind = 'shared' | 'per-class';

export interface ClassGaussians {
  /** One mean per class index. */
  means: Float64Array[];
  covariance: CovarianceKind;
  /** Lower-triangular Cholesky factors L of the shrunk covariances (row-major d x d): one shared, or one per class. */
  factors: Float64Array[];
  d: number;
  shrinkage: number;
}

/** Lower-triangular L with L L^T = A (A symmetric positive definite, row-major d x d). */
export function cholesky(a: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      for (let k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
      if (i === j) {
        if (!(s > 0)) throw new Error(`covariance is not positive definite (pivot ${i} is ${s}); use a shrinkage above 0`);
        l[i * d + i] = Math.sqrt(s);
      } else l[i * d + j] = s / l[j * d + j];
    }
  }
  return l;
}

/** v^T A^-1 v for A = L L^T: the squared norm of L^-1 v (forward substitution). */
export function whitenedNorm2(l: Float64Array, d: number, v: ArrayLike<number>): number {
  const y = new Float64Array(d);
  let s2 = 0;
  for (let i = 0; i < d; i++) {
    let s = v[i];
    for (let k = 0; k < i; k++) s -= l[i * d + k] * y[k];
    y[i] = s / l[i * d + i];
    s2 += y[i] * y[i];
  }
  return s2;
}

/**
 * Fits the class means and the shrunk covariance: shared (within-class scatter over n - classes) or
 * per class (each class's scatter over its n_c - 1); y holds class indices 0..classes-1.
 */
export function fitClassGaussians(x: readonly ArrayLike<number>[], y: readonly number[], classes: number, shrinkage = 0.1, covariance: CovarianceKind = 'shared'): ClassGaussians {
  if (x.length !== y.length) throw new Error(`fitClassGaussians: ${x.length} rows but ${y.length} labels`);
  if (x.length <= classes) throw new Error(`fitClassGaussians: ${x.length} rows are too few for ${classes} classes`);
  if (!(shrinkage >= 0 && shrinkage <= 1)) throw new Error(`fitClassGaussians: shrinkage ${shrinkage} is not in [0, 1]`);
  const d = x[0].length;
  const means = Array.from({ length: classes }, () => new Float64Array(d));
  const counts = new Array<number>(classes).fill(0);
  x.forEach((r, i) => {
    const c = y[i];
    if (!(Number.isInteger(c) && c >= 0 && c < classes)) throw new Error(`fitClassGaussians: label ${c} of row ${i} is not a class index below ${classes}`);
    if (r.length !== d) throw new Error(`fitClassGaussians: row ${i} has ${r.length} values, expected ${d}`);
    counts[c]++;
    for (let j = 0; j < d; j++) means[c][j] += r[j];
  });
  counts.forEach((n, c) => {
    if (n === 0) throw new Error(`fitClassGaussians: class ${c} has no rows`);
    if (covariance === 'per-class' && n < 2) throw new Error(`fitClassGaussians: class ${c} has ${n} row; a per-class covariance needs at least 2`);
    for (let j = 0; j < d; j++) means[c][j] /= n;
  });
  /** Lower triangle of the scatter of the rows `of` selects around their class means. */
  const scatter = (of: (i: number) => boolean) => {
    const cov = new Float64Array(d * d);
    const centred = new Float64Array(d);
    x.forEach((r, i) => {
      if (!of(i)) return;
      const m = means[y[i]];
      for (let j = 0; j < d; j++) centred[j] = r[j] - m[j];
      for (let a = 0; a < d; a++) {
        const ca = centred[a];
        for (let b = 0; b <= a; b++) cov[a * d + b] += ca * centred[b];
      }
    });
    return cov;
  };
  /** Cholesky factor of the scatter over `dof`, shrunk towards its mean variance. */
  const shrunkFactor = (cov: Float64Array, dof: number) => {
    let trace = 0;
    for (let a = 0; a < d; a++) trace += cov[a * d + a] / dof;
    const meanVariance = trace / d;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) {
        const v = (1 - shrinkage) * (cov[a * d + b] / dof) + (a === b ? shrinkage * meanVariance : 0);
        cov[a * d + b] = v;
        cov[b * d + a] = v;
      }
    }
    return cholesky(cov, d);
  };
  const factors =
    covariance === 'shared'
      ? [shrunkFactor(scatter(() => true), x.length - classes)]
      : counts.map((n, c) => shrunkFactor(scatter((i) => y[i] === c), n - 1));
  return { means, covariance, factors, d, shrinkage };
}

function nearestDistance2(means: readonly Float64Array[], e: ArrayLike<number>, norm2: (v: Float64Array, c: number) => number): number {
  const v = new Float64Array(e.length);
  let best = Infinity;
  means.forEach((m, c) => {
    for (let j = 0; j < e.length; j++) v[j] = e[j] - m[j];
    best = Math.min(best, norm2(v, c));
  });
  return best;
}

/** Mahalanobis distance of e to the nearest class mean (under that class's covariance when they are per class). */
export function nearestMahalanobis(g: ClassGaussians, e: ArrayLike<number>): number {
  if (e.length !== g.d) throw new Error(`embedding has ${e.length} values, the Gaussians ${g.d}`);
  return Math.sqrt(nearestDistance2(g.means, e, (v, c) => whitenedNorm2(g.factors[g.factors.length === 1 ? 0 : c], g.d, v)));
}

/** Euclidean distance of e to the nearest class mean. */
export function nearestEuclidean(g: ClassGaussians, e: ArrayLike<number>): number {
  return Math.sqrt(nearestDistance2(g.means, e, (v) => v.reduce((a, b) => a + b * b, 0)));
}
