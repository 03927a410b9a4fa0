import { round6 } from './linear-model.js';
import type { CsrMatrix } from '../../features/course/sparse-matrix.js';

/**
 * k-nearest-neighbour classifier, brute force over the sparse rows: Euclidean distance
 * (d² = |a|² + |b|² − 2a·b, for standardised numeric features) or cosine distance 1 − cos
 * (for TF-IDF, where an empty title must not be "near" everything; a zero vector is at distance 1),
 * uniform or inverse-distance votes (scikit-learn KNeighborsClassifier). The training rows are the model.
 */
export interface KnnJson {
  type: 'knn';
  classes: number;
  k: number;
  weights: 'uniform' | 'distance';
  metric: 'euclidean' | 'cosine';
  cols: number;
  indptr: number[];
  indices: number[];
  values: number[];
  labels: number[];
}

export class KnnClassifier {
  private readonly norms: Float64Array;
  private readonly X: CsrMatrix;
  constructor(readonly j: KnnJson) {
    this.X = {
      rows: j.labels.length,
      cols: j.cols,
      indptr: Int32Array.from(j.indptr),
      indices: Int32Array.from(j.indices),
      values: Float64Array.from(j.values),
    };
    this.norms = new Float64Array(this.X.rows);
    for (let r = 0; r < this.X.rows; r++) {
      let s = 0;
      for (let p = this.X.indptr[r]; p < this.X.indptr[r + 1]; p++) s += this.X.values[p] ** 2;
      this.norms[r] = s;
    }
  }

  static fromJSON(j: KnnJson): KnnClassifier {
    return new KnnClassifier(j);
  }

  toJSON(): KnnJson {
    return { ...this.j, values: this.j.values.map(round6) };
  }

  predictScores(Q: CsrMatrix): Float64Array[] {
    const T = this.X;
    const dense = new Float64Array(Math.max(Q.cols, T.cols));
    const d2 = new Float64Array(T.rows);
    const out: Float64Array[] = [];
    const order = new Int32Array(T.rows);
    for (let q = 0; q < Q.rows; q++) {
      let qn = 0;
      for (let p = Q.indptr[q]; p < Q.indptr[q + 1]; p++) {
        dense[Q.indices[p]] = Q.values[p];
        qn += Q.values[p] ** 2;
      }
      for (let r = 0; r < T.rows; r++) {
        let dot = 0;
        for (let p = T.indptr[r]; p < T.indptr[r + 1]; p++) dot += T.values[p] * dense[T.indices[p]];
        if (this.j.metric === 'cosine') {
          const den = Math.sqrt(qn * this.norms[r]);
          const dist = den > 0 ? Math.max(0, 1 - dot / den) : 1;
          d2[r] = dist * dist;
        } else d2[r] = Math.max(0, qn + this.norms[r] - 2 * dot);
      }
      for (let p = Q.indptr[q]; p < Q.indptr[q + 1]; p++) dense[Q.indices[p]] = 0;
      for (let r = 0; r < T.rows; r++) order[r] = r;
      const k = Math.min(this.j.k, T.rows);
      partialSort(order, d2, k);
      const votes = new Float64Array(this.j.classes);
      let exact = false;
      for (let i = 0; i < k; i++) if (d2[order[i]] === 0) exact = true;
      for (let i = 0; i < k; i++) {
        const r = order[i];
        const w = this.j.weights === 'uniform' ? 1 : exact ? (d2[r] === 0 ? 1 : 0) : 1 / Math.sqrt(d2[r]);
        votes[this.j.labels[r]] += w;
      }
      const s = votes.reduce((a, b) => a + b, 0);
      for (let c = 0; c < votes.length; c++) votes[c] /= s;
      out.push(votes);
    }
    return out;
  }
}

/** Moves the k smallest (by key, ties by index) to the front of `order`, sorted. */
function partialSort(order: Int32Array, key: Float64Array, k: number): void {
  // selection into a small sorted buffer; k is small
  const best: number[] = [];
  for (let i = 0; i < order.length; i++) {
    const r = order[i];
    if (best.length < k || key[r] < key[best[best.length - 1]]) {
      let pos = best.length;
      while (pos > 0 && key[best[pos - 1]] > key[r]) pos--;
      best.splice(pos, 0, r);
      if (best.length > k) best.pop();
    }
  }
  for (let i = 0; i < best.length; i++) order[i] = best[i];
}
