import { describe, expect, it } from 'vitest';
import { cholesky, fitClassGaussians, nearestEuclidean, nearestMahalanobis } from '../../src/training/image/class-gaussians.js';

/** Deterministic normal draws (Box-Muller over a linear congruential generator). */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => ((s = (1664525 * s + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Inverse by Gauss-Jordan elimination with partial pivoting: an algorithm independent of the Cholesky path. */
function inverse(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((r, i) => [...r, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const piv = m[c][c];
    for (let j = 0; j < 2 * n; j++) m[c][j] /= piv;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c];
      for (let j = 0; j < 2 * n; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((r) => r.slice(n));
}

function sample(n: number, d: number, classes: number, seed: number): { x: number[][]; y: number[] } {
  const z = normals(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    // Correlated, anisotropic noise around a class mean at 3c on every axis.
    const e = Array.from({ length: d }, z);
    x.push(e.map((v, j) => 3 * c + v * (1 + j) + (j > 0 ? 0.8 * e[j - 1] : 0)));
    y.push(c);
  }
  return { x, y };
}

describe('class-conditional Gaussians (Mahalanobis out-of-distribution score)', () => {
  it('matches the distance computed from the explicitly formed, shrunk covariance and its inverse', () => {
    const d = 5;
    const classes = 3;
    const { x, y } = sample(90, d, classes, 7);
    const shrinkage = 0.2;
    const g = fitClassGaussians(x, y, classes, shrinkage);
    // Reference: means, within-class covariance (n - classes), shrinkage, Gauss-Jordan inverse.
    const means = Array.from({ length: classes }, (_, c) => {
      const rows = x.filter((_, i) => y[i] === c);
      return Array.from({ length: d }, (_, j) => rows.reduce((a, r) => a + r[j], 0) / rows.length);
    });
    const s = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    x.forEach((r, i) => {
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) s[a][b] += ((r[a] - means[y[i]][a]) * (r[b] - means[y[i]][b])) / (x.length - classes);
    });
    const mu = s.reduce((t, r, i) => t + r[i], 0) / d;
    const shrunk = s.map((r, a) => r.map((v, b) => (1 - shrinkage) * v + (a === b ? shrinkage * mu : 0)));
    const inv = inverse(shrunk);
    const probe = [1.5, -2, 4, 0.25, 7];
    const expected = Math.min(
      ...means.map((m) => {
        const v = probe.map((p, j) => p - m[j]);
        return Math.sqrt(v.reduce((t, vi, a) => t + vi * v.reduce((u, vj, b) => u + inv[a][b] * vj, 0), 0));
      }),
    );
    expect(nearestMahalanobis(g, probe)).toBeCloseTo(expected, 9);
    const euclid = Math.min(...means.map((m) => Math.hypot(...probe.map((p, j) => p - m[j]))));
    expect(nearestEuclidean(g, probe)).toBeCloseTo(euclid, 12);
  });

  it('per class: every class with its own shrunk covariance (n_c - 1), the nearest under its own inverse', () => {
    const d = 4;
    const classes = 3;
    const { x, y } = sample(60, d, classes, 21);
    // Make class 2 much wider on axis 0 than the others, so the per-class and shared distances differ.
    const xs = x.map((r, i) => (y[i] === 2 ? r.map((v, j) => (j === 0 ? 6 + 5 * (v - 6) : v)) : r));
    const shrinkage = 0.25;
    const g = fitClassGaussians(xs, y, classes, shrinkage, 'per-class');
    expect(g.covariance).toBe('per-class');
    expect(g.factors).toHaveLength(classes);
    const probe = [20, 5, 2, -3];
    const expected = Math.min(
      ...Array.from({ length: classes }, (_, c) => {
        const rows = xs.filter((_, i) => y[i] === c);
        const m = Array.from({ length: d }, (_, j) => rows.reduce((a, r) => a + r[j], 0) / rows.length);
        const s = Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => rows.reduce((t, r) => t + (r[a] - m[a]) * (r[b] - m[b]), 0) / (rows.length - 1)));
        const mu = s.reduce((t, r, i) => t + r[i], 0) / d;
        const inv = inverse(s.map((r, a) => r.map((v, b) => (1 - shrinkage) * v + (a === b ? shrinkage * mu : 0))));
        const v = probe.map((p, j) => p - m[j]);
        return Math.sqrt(v.reduce((t, vi, a) => t + vi * v.reduce((u, vj, b) => u + inv[a][b] * vj, 0), 0));
      }),
    );
    expect(nearestMahalanobis(g, probe)).toBeCloseTo(expected, 9);
    expect(Math.abs(nearestMahalanobis(fitClassGaussians(xs, y, classes, shrinkage), probe) - expected)).toBeGreaterThan(0.1);
    expect(() => fitClassGaussians([[1], [2], [3]], [0, 0, 1], 2, 0.1, 'per-class')).toThrow(/class 1 has 1 row; a per-class covariance needs at least 2/);
  });

  it('without shrinkage is invariant to an invertible linear map of the embeddings (Euclidean is not)', () => {
    const { x, y } = sample(120, 3, 2, 11);
    const map = (r: readonly number[]) => [2 * r[0] + r[1], 0.1 * r[1], -r[2] + 5 * r[0]];
    const g = fitClassGaussians(x, y, 2, 0);
    const gm = fitClassGaussians(x.map(map), y, 2, 0);
    const probe = [4, -1, 2];
    expect(nearestMahalanobis(gm, map(probe))).toBeCloseTo(nearestMahalanobis(g, probe), 8);
    expect(Math.abs(nearestEuclidean(gm, map(probe)) - nearestEuclidean(g, probe))).toBeGreaterThan(0.5);
  });

  it('scores points off the classes far above held-out points of the classes, with more dimensions than rows', () => {
    const d = 40;
    const { x, y } = sample(30, d, 3, 3);
    const g = fitClassGaussians(x, y, 3); // 30 rows < 40 dimensions: only the shrinkage keeps it definite
    // Shifted 4 standard deviations of each axis off every class.
    const held = sample(30, d, 3, 99).x.map((r) => nearestMahalanobis(g, r));
    const off = sample(30, d, 3, 5).x.map((r) => nearestMahalanobis(g, r.map((v, j) => v + (j % 2 ? 4 : -4) * (1 + j))));
    expect(Math.max(...held)).toBeLessThan(Math.min(...off));
  });

  it('refuses input it cannot fit, with the reason', () => {
    expect(() => fitClassGaussians([[1], [2], [3]], [0, 0, 0], 2)).toThrow(/class 1 has no rows/);
    expect(() => fitClassGaussians([[1], [2], [3]], [0, 1, 2], 2)).toThrow(/label 2 of row 2/);
    expect(() => fitClassGaussians([[1, 2], [2], [3, 1]], [0, 1, 0], 2)).toThrow(/row 1 has 1 values, expected 2/);
    expect(() => fitClassGaussians([[1], [2]], [0, 1], 2)).toThrow(/too few/);
    expect(() => cholesky(new Float64Array([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
    const g = fitClassGaussians([[0, 1], [1, 0], [2, 2], [3, 1]], [0, 0, 1, 1], 2);
    expect(() => nearestMahalanobis(g, [1, 2, 3])).toThrow(/3 values, the Gaussians 2/);
  });
});
