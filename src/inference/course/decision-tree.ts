import { round6 } from './linear-model.js';
import { type CsrMatrix, rowToDense } from '../../features/course/sparse-matrix.js';

/**
 * CART decision tree (Gini for classification, squared error for regression), as in
 * scikit-learn: a split sends x[feature] <= threshold left; thresholds are midpoints between
 * distinct values. Nodes keep their training cover (sample count) for TreeSHAP.
 */
export interface TreeJson {
  /** Outputs per node: classes (probabilities) or 1 (regression mean). */
  outputs: number;
  /** -1 marks a leaf. */
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  cover: number[];
  /** Node values, flattened node-major (outputs per node). */
  value: number[];
}

export class DecisionTree {
  constructor(readonly t: TreeJson) {}

  static fromJSON(j: TreeJson): DecisionTree {
    return new DecisionTree(j);
  }

  toJSON(): TreeJson {
    return { ...this.t, threshold: this.t.threshold.map((v) => Number(v.toPrecision(9))), value: this.t.value.map(round6) };
  }

  get nodeCount(): number {
    return this.t.feature.length;
  }

  /** Leaf index reached by a dense row. */
  leaf(x: ArrayLike<number>): number {
    const { feature, threshold, left, right } = this.t;
    let node = 0;
    while (feature[node] >= 0) node = x[feature[node]] <= threshold[node] ? left[node] : right[node];
    return node;
  }

  /** Output values (probabilities or [mean]) for every row. */
  predictRows(X: CsrMatrix): Float64Array[] {
    const dense = new Float64Array(X.cols);
    const out: Float64Array[] = [];
    const o = this.t.outputs;
    for (let r = 0; r < X.rows; r++) {
      const leaf = this.leaf(rowToDense(X, r, dense));
      out.push(Float64Array.from(this.t.value.slice(leaf * o, leaf * o + o)));
    }
    return out;
  }
}
