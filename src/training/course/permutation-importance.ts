import { SeededRandom } from '../../core/random.js';
import type { CsrMatrix } from '../../features/course/sparse-matrix.js';

/**
 * Permutation feature importance (Breiman; scikit-learn permutation_importance): the drop of a
 * score when a feature group's values are shuffled across rows, mean and std over repeats.
 * A group moves together (e.g. all TF-IDF columns of the title = "title words").
 */
export interface FeatureGroup {
  name: string;
  columns: number[];
}

export interface Importance {
  feature: string;
  mean: number;
  std: number;
}

export function permuteGroup(X: CsrMatrix, inGroup: (c: number) => boolean, perm: readonly number[]): CsrMatrix {
  const idx: number[] = [];
  const val: number[] = [];
  const indptr = new Int32Array(X.rows + 1);
  for (let r = 0; r < X.rows; r++) {
    for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) {
      if (!inGroup(X.indices[p])) {
        idx.push(X.indices[p]);
        val.push(X.values[p]);
      }
    }
    const s = perm[r];
    for (let p = X.indptr[s]; p < X.indptr[s + 1]; p++) {
      if (inGroup(X.indices[p])) {
        idx.push(X.indices[p]);
        val.push(X.values[p]);
      }
    }
    indptr[r + 1] = idx.length;
  }
  return { rows: X.rows, cols: X.cols, indptr, indices: Int32Array.from(idx), values: Float64Array.from(val) };
}

export function permutationImportance(
  X: CsrMatrix,
  groups: readonly FeatureGroup[],
  score: (X: CsrMatrix) => number,
  options: { repeats?: number; seed?: number } = {},
): Importance[] {
  const base = score(X);
  const rng = new SeededRandom(options.seed ?? 0);
  const repeats = options.repeats ?? 5;
  return groups
    .map((g) => {
      const set = new Set(g.columns);
      const drops: number[] = [];
      for (let k = 0; k < repeats; k++) {
        const perm = rng.shuffle(Array.from({ length: X.rows }, (_, i) => i));
        drops.push(base - score(permuteGroup(X, (c) => set.has(c), perm)));
      }
      const mean = drops.reduce((a, b) => a + b, 0) / repeats;
      const std = Math.sqrt(drops.reduce((a, d) => a + (d - mean) ** 2, 0) / repeats);
      return { feature: g.name, mean, std };
    })
    .sort((a, b) => b.mean - a.mean);
}
