import { TreeShapTables } from './fast-tree-shap.js';
import type { LinearModelJson } from './linear-model.js';
import type { ForestJson } from './random-forest.js';
import type { CsrMatrix } from './sparse-matrix.js';

/**
 * The top explanation terms of an additive model (linear, tree ensemble, or a weighted blend of
 * both) without building its dense SHAP vector. The exact SHAP value of column c for one output is
 *
 *   phi_c = A_c + W_c x_c + sum over tree members m of weight_m * TreeSHAP_m,c(x)
 *
 * with A_c = -sum over linear members of weight * sign * w_c * mean_c (what column c contributes
 * when it is absent from the row, x_c = 0) and W_c = sum of weight * sign * w_c. Only the row's
 * non-zero columns and the columns the trees split on can differ from A_c, so the top k are among
 * those and the k largest |A_c| of the other columns, which are sorted once. A row costs
 * O(nnz + tree tables + k) instead of O(columns).
 *
 * Same terms, values and order as topByMagnitude over the full vector (largest |phi| first, ties
 * by column), which the tests check against the reference SHAP implementations.
 */
export interface TopTerms {
  /** [column, contribution] pairs, largest magnitude first. */
  terms: [number, number][];
  /** The model output for this row (margin / regression value): base + sum of all phi. */
  prediction: number;
}

interface TreeMember {
  weight: number;
  tables: TreeShapTables;
  /** One compact row and its SHAP values (explain). */
  x: Float64Array;
  phi: Float64Array;
  pred: Float64Array;
  /** A batch of rows (explainAll). */
  xs: Float64Array;
  phis: Float64Array;
  preds: Float64Array;
}

/** Rows per batch of explainAll / predictAll. */
const BATCH = 64;

const tableCache = new WeakMap<ForestJson, Map<string, TreeShapTables>>();

/**
 * The SHAP tables of a forest for one output over `cols` columns, built once per forest object
 * (every explainer of a loaded model version shares them).
 */
export function treeShapTables(model: ForestJson, cols: number, output: number): TreeShapTables {
  let byKey = tableCache.get(model);
  if (!byKey) tableCache.set(model, (byKey = new Map()));
  const key = `${output}:${cols}`;
  let t = byKey.get(key);
  if (!t) {
    const o = model.task === 'classification' ? model.classes : 1;
    if (!(output >= 0 && output < o)) throw new Error(`explainer: the forest has ${o} outputs, asked for ${output}`);
    const scale = model.scale ?? 1 / model.trees.length;
    t = new TreeShapTables(model.trees, cols, { output, scale, offset: model.offset?.[output] ?? 0 });
    byKey.set(key, t);
  }
  return t;
}

export class AdditiveExplainer {
  readonly cols: number;
  /** Base value: weighted members' base values (linear: margin at the column means). */
  readonly base: number;
  private readonly absent: Float64Array;
  private readonly slope: Float64Array;
  /** Columns with A_c != 0, by |A_c| descending, ties by column. */
  private readonly order: Int32Array;
  private readonly linearBias: number;
  private readonly trees: TreeMember[];
  private readonly mark: Int32Array;
  private stamp = 0;
  private readonly value: Float64Array;
  private readonly touched: Int32Array;

  constructor(members: readonly { weight: number; model: LinearModelJson | ForestJson }[], cols: number, output: number, means: ArrayLike<number>) {
    this.cols = cols;
    this.absent = new Float64Array(cols);
    this.slope = new Float64Array(cols);
    this.trees = [];
    let base = 0;
    let bias = 0;
    let treeFeatures = 0;
    for (const { weight, model } of members) {
      if (model.type === 'linear') {
        const binary = model.weights.length === 1 && model.classes === 2;
        const k = binary ? 0 : output;
        const sign = binary && output === 0 ? -1 : 1;
        const w = model.weights[k];
        if (!w || w.length !== cols) throw new Error(`explainer: linear weights for output ${output} must have ${cols} columns`);
        let b = model.bias[k];
        for (let c = 0; c < cols; c++) {
          this.absent[c] -= weight * sign * w[c] * means[c];
          this.slope[c] += weight * sign * w[c];
          b += w[c] * means[c];
        }
        base += weight * sign * b;
        bias += weight * sign * model.bias[k];
      } else {
        const tables = treeShapTables(model, cols, output);
        base += weight * tables.base;
        treeFeatures += tables.featureCount;
        const F = tables.featureCount;
        this.trees.push({ weight, tables, x: new Float64Array(F), phi: new Float64Array(F), pred: new Float64Array(1), xs: new Float64Array(BATCH * F), phis: new Float64Array(BATCH * tables.phiStride), preds: new Float64Array(BATCH) });
      }
    }
    this.base = base;
    this.linearBias = bias;
    const idx: number[] = [];
    for (let c = 0; c < cols; c++) if (this.absent[c] !== 0 && Number.isFinite(this.absent[c])) idx.push(c);
    const a = this.absent;
    idx.sort((p, q) => Math.abs(a[q]) - Math.abs(a[p]) || p - q);
    this.order = Int32Array.from(idx);
    this.mark = new Int32Array(cols);
    this.value = new Float64Array(cols);
    this.touched = new Int32Array(cols + treeFeatures);
  }

  /** Bytes held by this explainer (tree tables, per-column vectors). */
  get bytes(): number {
    let b = this.absent.byteLength + this.slope.byteLength + this.order.byteLength + this.mark.byteLength + this.value.byteLength + this.touched.byteLength;
    for (const t of this.trees) b += t.tables.bytes + t.x.byteLength + t.phi.byteLength + t.xs.byteLength + t.phis.byteLength + t.preds.byteLength;
    return b;
  }

  get treeTables(): readonly TreeShapTables[] {
    return this.trees.map((t) => t.tables);
  }

  /** The model output for row r, computed exactly as `explain` computes it. */
  predict(X: CsrMatrix, r: number): number {
    let prediction = this.linearBias;
    const slope = this.slope;
    const start = X.indptr[r];
    const end = X.indptr[r + 1];
    for (let p = start; p < end; p++) prediction += slope[X.indices[p]] * X.values[p];
    let treePart = 0;
    for (const t of this.trees) {
      t.tables.gather(X.indices, X.values, start, end, t.x);
      treePart += t.weight * t.tables.predict(t.x);
    }
    return prediction + treePart;
  }

  /** The top `k` terms of row r (largest |phi| first) and the row's output. */
  explain(X: CsrMatrix, r: number, k: number): TopTerms {
    if (X.cols !== this.cols) throw new Error(`explainer: the matrix has ${X.cols} columns, the model ${this.cols}`);
    let treePart = 0;
    for (const t of this.trees) {
      t.tables.gather(X.indices, X.values, X.indptr[r], X.indptr[r + 1], t.x);
      t.phi.fill(0);
      treePart += t.weight * t.tables.explain(t.x, t.phi);
    }
    return this.finish(X, r, k, -1, treePart);
  }

  /**
   * explain() of every row of X: the tree members' tables are applied tree by tree over the
   * rows (cache-friendly), then each row's terms are selected. Same results as explain() per row.
   */
  explainAll(X: CsrMatrix, k: number): TopTerms[] {
    if (X.cols !== this.cols) throw new Error(`explainer: the matrix has ${X.cols} columns, the model ${this.cols}`);
    if (this.trees.length === 0) return Array.from({ length: X.rows }, (_, r) => this.finish(X, r, k, 0, 0));
    const out: TopTerms[] = [];
    for (let r0 = 0; r0 < X.rows; r0 += BATCH) {
      const rows = Math.min(BATCH, X.rows - r0);
      for (const t of this.trees) {
        const F = t.tables.featureCount;
        for (let i = 0; i < rows; i++) t.tables.gather(X.indices, X.values, X.indptr[r0 + i], X.indptr[r0 + i + 1], t.xs, i * F);
        t.phis.fill(0, 0, rows * t.tables.phiStride);
        t.tables.explainRows(t.xs, rows, t.phis, t.preds);
      }
      for (let i = 0; i < rows; i++) {
        let treePart = 0;
        for (const t of this.trees) treePart += t.weight * t.preds[i];
        out.push(this.finish(X, r0 + i, k, i, treePart));
      }
    }
    return out;
  }

  /** predict() of every row of X (the same numbers), tree by tree over batches of rows. */
  predictAll(X: CsrMatrix): Float64Array {
    const out = new Float64Array(X.rows);
    const slope = this.slope;
    for (let r0 = 0; r0 < X.rows; r0 += BATCH) {
      const rows = Math.min(BATCH, X.rows - r0);
      for (const t of this.trees) {
        const F = t.tables.featureCount;
        for (let i = 0; i < rows; i++) t.tables.gather(X.indices, X.values, X.indptr[r0 + i], X.indptr[r0 + i + 1], t.xs, i * F);
        t.tables.predictRows(t.xs, rows, t.preds);
      }
      for (let i = 0; i < rows; i++) {
        const r = r0 + i;
        let prediction = this.linearBias;
        for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) prediction += slope[X.indices[p]] * X.values[p];
        let treePart = 0;
        for (const t of this.trees) treePart += t.weight * t.preds[i];
        out[r] = prediction + treePart;
      }
    }
    return out;
  }

  /** Combines the linear part of row r with the tree members' SHAP values (batch row `slot`, -1: the single-row buffers) and selects the top k. */
  private finish(X: CsrMatrix, r: number, k: number, slot: number, treePart: number): TopTerms {
    const stamp = ++this.stamp;
    const { mark, value, touched, absent, slope } = this;
    let n = 0;
    let prediction = this.linearBias;
    const start = X.indptr[r];
    const end = X.indptr[r + 1];
    for (let p = start; p < end; p++) {
      const c = X.indices[p];
      const v = X.values[p];
      prediction += slope[c] * v;
      if (mark[c] !== stamp) {
        mark[c] = stamp;
        value[c] = absent[c];
        touched[n++] = c;
      }
      value[c] += slope[c] * v;
    }
    prediction += treePart;
    for (const t of this.trees) {
      const columns = t.tables.columns;
      const F = columns.length;
      const phi = slot < 0 ? t.phi : t.phis;
      const off = slot < 0 ? 0 : slot * t.tables.phiStride;
      const w = t.weight;
      for (let j = 0; j < F; j++) {
        const c = columns[j];
        if (mark[c] !== stamp) {
          mark[c] = stamp;
          value[c] = absent[c];
          touched[n++] = c;
        }
        value[c] += w * phi[off + j];
      }
    }
    // candidates: the touched columns and the first k untouched columns by |A_c|
    const bestC = this.bestC.length >= k ? this.bestC : (this.bestC = new Int32Array(k));
    const bestA = this.bestA.length >= k ? this.bestA : (this.bestA = new Float64Array(k));
    let size = 0;
    const consider = (c: number, v: number): void => {
      if (v === 0 || !Number.isFinite(v)) return;
      const a = Math.abs(v);
      if (size === k) {
        const la = bestA[k - 1];
        if (a < la || (a === la && c > bestC[k - 1])) return;
      }
      let pos = size < k ? size++ : k - 1;
      while (pos > 0 && (bestA[pos - 1] < a || (bestA[pos - 1] === a && bestC[pos - 1] > c))) {
        bestA[pos] = bestA[pos - 1];
        bestC[pos] = bestC[pos - 1];
        pos--;
      }
      bestA[pos] = a;
      bestC[pos] = c;
    };
    if (k > 0) {
      for (let i = 0; i < n; i++) consider(touched[i], value[touched[i]]);
      const order = this.order;
      let taken = 0;
      for (let i = 0; i < order.length && taken < k; i++) {
        const c = order[i];
        if (mark[c] === stamp) continue;
        consider(c, absent[c]);
        taken++;
      }
    }
    const terms: [number, number][] = [];
    for (let i = 0; i < size; i++) {
      const c = bestC[i];
      terms.push([c, mark[c] === stamp ? value[c] : absent[c]]);
    }
    return { terms, prediction };
  }

  private bestC = new Int32Array(8);
  private bestA = new Float64Array(8);
}
