import { DecisionTree, type TreeJson } from './decision-tree.js';
import { type CsrMatrix, rowToDense } from '../../features/course/sparse-matrix.js';
import { addTreeShap, expectedValue } from './tree-shap.js';

/**
 * Random forest (Breiman): bootstrap samples, a random subset of candidate features per split,
 * outputs averaged (class probabilities or regression means), as scikit-learn's
 * RandomForestClassifier/Regressor. A single fully-grown-or-limited tree is the decision tree model.
 *
 * Every tree ensemble is stored in this one shape: output = offset + scale * (sum of the tree
 * outputs). A forest averages (offset 0, scale 1/trees, the defaults when the fields are absent,
 * as in models saved before they existed); gradient boosting (gradient-boosting.ts) starts from the
 * training mean (offset) and adds each tree times the learning rate (scale). Being linear in the
 * trees, the ensemble's TreeSHAP values and expected value are the trees' ones, scaled and summed.
 */
export interface ForestJson {
  type: 'forest';
  algorithm: 'decision-tree' | 'random-forest' | 'gradient-boosting';
  task: 'classification' | 'regression';
  classes: number;
  trees: TreeJson[];
  /** Added to every output (one value per output); default 0. */
  offset?: number[];
  /** Factor on the sum of the tree outputs; default 1 / trees (an average). */
  scale?: number;
}

export class TreeEnsemble {
  readonly trees: DecisionTree[];
  readonly offset: number[];
  readonly scale: number;
  constructor(readonly json: ForestJson) {
    if (!Array.isArray(json.trees)) throw new Error(`tree ensemble (${json.algorithm}): trees must be an array`);
    this.trees = json.trees.map((t) => new DecisionTree(t));
    const o = json.task === 'classification' ? json.classes : 1;
    this.offset = json.offset ?? new Array<number>(o).fill(0);
    if (this.offset.length !== o || !this.offset.every(Number.isFinite)) {
      throw new Error(`tree ensemble (${json.algorithm}): offset must hold ${o} finite numbers, got ${JSON.stringify(json.offset)}`);
    }
    if (json.scale === undefined && this.trees.length === 0) throw new Error(`tree ensemble (${json.algorithm}): no trees to average`);
    this.scale = json.scale ?? 1 / this.trees.length;
    if (!Number.isFinite(this.scale)) throw new Error(`tree ensemble (${json.algorithm}): scale must be a finite number, got ${json.scale}`);
  }

  static fromJSON(j: ForestJson): TreeEnsemble {
    return new TreeEnsemble(j);
  }

  toJSON(): ForestJson {
    return { ...this.json, trees: this.trees.map((t) => t.toJSON()) };
  }

  get outputs(): number {
    return this.json.task === 'classification' ? this.json.classes : 1;
  }

  predictScores(X: CsrMatrix): Float64Array[] {
    const o = this.outputs;
    const dense = new Float64Array(X.cols);
    const out: Float64Array[] = [];
    for (let r = 0; r < X.rows; r++) {
      rowToDense(X, r, dense);
      const acc = new Float64Array(o);
      for (const t of this.trees) {
        const leaf = t.leaf(dense);
        for (let k = 0; k < o; k++) acc[k] += t.t.value[leaf * o + k];
      }
      for (let k = 0; k < o; k++) acc[k] = this.offset[k] + this.scale * acc[k];
      out.push(acc);
    }
    return out;
  }

  predict(X: CsrMatrix): Float64Array {
    return Float64Array.from(this.predictScores(X), (v) => v[0]);
  }

  /**
   * Exact TreeSHAP of row r for one output: the trees' values combined as their outputs are
   * (offset + scale * sum); base + sum of phi equals the prediction.
   */
  shap(X: CsrMatrix, r: number, output: number): { base: number; phi: Map<number, number> } {
    const dense = rowToDense(X, r, new Float64Array(X.cols));
    const o = this.outputs;
    const values = new Float64Array(X.cols * o);
    const touched = new Uint8Array(X.cols);
    let base = 0;
    for (const t of this.trees) base += addTreeShap(t.t, dense, values, this.scale, touched)[output];
    const phi = new Map<number, number>();
    touched.forEach((used, f) => {
      if (used) phi.set(f, values[f * o + output]);
    });
    return { base: this.offset[output] + this.scale * base, phi };
  }

  /** Expected output over the training data (cover-weighted), the TreeSHAP base value. */
  expectedValue(output: number): number {
    return this.offset[output] + this.scale * this.trees.reduce((a, t) => a + expectedValue(t.t)[output], 0);
  }

  get nodeCount(): number {
    return this.trees.reduce((a, t) => a + t.nodeCount, 0);
  }
}
