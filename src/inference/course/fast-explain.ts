import { TreeShapTables } from './fast-tree-shap.js';
import type { LinearModelJson } from './linear-model.js';
import type { ForestJson } from './random-forest.js';
import type { CsrMatrix } from '../../features/course/sparse-matrix.js';

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
  /** absent / slope of the member's compact columns (the single-tree-member fast path of finish). */
  absentC: Float64Array;
  slopeC: Float64Array;
  /** A batch of rows (explainAll). */
  xs: Float64Array;
  phis: Float64Array;
  preds: Float64Array;
}

/**
 * Per-row scratch shared by every explainer of the process (rows are explained one at a time):
 * a stamp per column marks the columns the row touched, with their values.
 */
const scratch = { mark: new Int32Array(0), value: new Float64Array(0), touched: new Int32Array(0), stamp: 0 };

function reserveScratch(cols: number, touched: number): void {
  if (scratch.mark.length < cols) {
    scratch.mark = new Int32Array(cols);
    scratch.value = new Float64Array(cols);
    scratch.stamp = 0;
  }
  if (scratch.touched.length < touched) scratch.touched = new Int32Array(touched);
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
  /** absent (A_c) and slope (W_c) interleaved: [A_0, W_0, A_1, W_1, ...] (one cache line for both). */
  private readonly absentSlope: Float64Array;

  /**
   * `bias` is added to the output and the base value (a score link's intercept: the members are
   * then regression models scaled by the link's slope).
   */
  constructor(members: readonly { weight: number; model: LinearModelJson | ForestJson }[], cols: number, output: number, means: ArrayLike<number>, bias = 0) {
    this.cols = cols;
    this.absent = new Float64Array(cols);
    this.slope = new Float64Array(cols);
    this.trees = [];
    const extraBias = bias;
    let base = 0;
    bias = 0;
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
        this.trees.push({ weight, tables, x: new Float64Array(F), phi: new Float64Array(F), pred: new Float64Array(1), absentC: new Float64Array(F), slopeC: new Float64Array(F), xs: new Float64Array(BATCH * F), phis: new Float64Array(BATCH * tables.phiStride), preds: new Float64Array(BATCH) });
      }
    }
    this.base = base + extraBias;
    this.linearBias = bias + extraBias;
    for (const t of this.trees) {
      t.tables.columns.forEach((c, j) => {
        t.absentC[j] = this.absent[c];
        t.slopeC[j] = this.slope[c];
      });
    }
    const idx: number[] = [];
    for (let c = 0; c < cols; c++) if (this.absent[c] !== 0 && Number.isFinite(this.absent[c])) idx.push(c);
    const a = this.absent;
    idx.sort((p, q) => Math.abs(a[q]) - Math.abs(a[p]) || p - q);
    this.order = Int32Array.from(idx);
    this.absentSlope = new Float64Array(2 * cols);
    for (let c = 0; c < cols; c++) {
      this.absentSlope[2 * c] = this.absent[c];
      this.absentSlope[2 * c + 1] = this.slope[c];
    }
    reserveScratch(cols, cols + treeFeatures);
  }

  /** Bytes held by this explainer (tree tables, per-column vectors). */
  get bytes(): number {
    let b = this.absent.byteLength + this.slope.byteLength + this.absentSlope.byteLength + this.order.byteLength;
    for (const t of this.trees) b += t.tables.bytes + t.x.byteLength + t.phi.byteLength + t.absentC.byteLength + t.slopeC.byteLength + t.xs.byteLength + t.phis.byteLength + t.preds.byteLength;
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
    this.finish(X, r, k, -1, treePart);
    return this.topTerms();
  }

  /**
   * explain() writing the terms into cols/vals at `at` (room for k) instead of allocating them;
   * returns the number of terms. The row's prediction is `lastPrediction`.
   */
  explainInto(X: CsrMatrix, r: number, k: number, cols: Int32Array, vals: Float64Array, at = 0): number {
    if (X.cols !== this.cols) throw new Error(`explainer: the matrix has ${X.cols} columns, the model ${this.cols}`);
    let treePart = 0;
    for (const t of this.trees) {
      t.tables.gather(X.indices, X.values, X.indptr[r], X.indptr[r + 1], t.x);
      t.phi.fill(0);
      treePart += t.weight * t.tables.explain(t.x, t.phi);
    }
    const n = this.finish(X, r, k, -1, treePart);
    for (let i = 0; i < n; i++) {
      cols[at + i] = this.bestC[i];
      vals[at + i] = this.bestV[i];
    }
    return n;
  }

  /** The prediction of the row last explained by explainInto. */
  get lastPrediction(): number {
    return this.prediction;
  }

  /**
   * explain() of every row of X: the tree members' tables are applied tree by tree over the
   * rows (cache-friendly), then each row's terms are selected. Same results as explain() per row.
   */
  explainAll(X: CsrMatrix, k: number): TopTerms[] {
    const flat = this.explainAllFlat(X, k);
    return Array.from({ length: X.rows }, (_, r) => {
      const terms: [number, number][] = [];
      for (let i = 0; i < flat.count[r]; i++) terms.push([flat.cols[r * k + i], flat.vals[r * k + i]]);
      return { terms, prediction: flat.prediction[r] };
    });
  }

  /**
   * explainAll() in flat arrays (no per-term allocation): row r's terms are cols/vals[r * k ..
   * r * k + count[r]), its output prediction[r].
   */
  explainAllFlat(X: CsrMatrix, k: number): { prediction: Float64Array; count: Int32Array; cols: Int32Array; vals: Float64Array } {
    if (X.cols !== this.cols) throw new Error(`explainer: the matrix has ${X.cols} columns, the model ${this.cols}`);
    const prediction = new Float64Array(X.rows);
    const count = new Int32Array(X.rows);
    const cols = new Int32Array(X.rows * k);
    const vals = new Float64Array(X.rows * k);
    const emit = (r: number): void => {
      const n = this.size;
      count[r] = n;
      prediction[r] = this.prediction;
      for (let i = 0; i < n; i++) {
        cols[r * k + i] = this.bestC[i];
        vals[r * k + i] = this.bestV[i];
      }
    };
    if (this.trees.length === 0) {
      for (let r = 0; r < X.rows; r++) {
        this.finish(X, r, k, 0, 0);
        emit(r);
      }
      return { prediction, count, cols, vals };
    }
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
        this.finish(X, r0 + i, k, i, treePart);
        emit(r0 + i);
      }
    }
    return { prediction, count, cols, vals };
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
  private finish(X: CsrMatrix, r: number, k: number, slot: number, treePart: number): number {
    const stamp = ++scratch.stamp;
    const { mark, value, touched } = scratch;
    const { absent, absentSlope } = this;
    let n = 0;
    let prediction = this.linearBias;
    const start = X.indptr[r];
    const end = X.indptr[r + 1];
    if (this.bestC.length < k) {
      this.bestC = new Int32Array(k);
      this.bestA = new Float64Array(k);
      this.bestV = new Float64Array(k);
    }
    this.size = 0;
    const one = this.trees.length === 1 ? this.trees[0] : null;
    const compactOf = one ? one.tables.compactOf : null;
    for (let p = start; p < end; p++) {
      const c = X.indices[p];
      const v = X.values[p];
      const w = absentSlope[2 * c + 1];
      prediction += w * v;
      if (compactOf && compactOf[c] >= 0) continue; // handled in the tree's compact space below
      if (mark[c] !== stamp) {
        mark[c] = stamp;
        value[c] = absentSlope[2 * c];
        touched[n++] = c;
      }
      value[c] += w * v;
    }
    prediction += treePart;
    if (one) {
      // one tree member (the usual blend): its columns' values in its compact space, no marking
      const columns = one.tables.columns;
      const F = columns.length;
      const phi = slot < 0 ? one.phi : one.phis;
      const po = slot < 0 ? 0 : slot * one.tables.phiStride;
      const x = slot < 0 ? one.x : one.xs;
      const xo = slot < 0 ? 0 : slot * F;
      const { absentC, slopeC } = one;
      const w = one.weight;
      if (k > 0) {
        const bestA = this.bestA;
        for (let j = 0; j < F; j++) {
          const v = absentC[j] + slopeC[j] * x[xo + j] + w * phi[po + j];
          // most columns are below the current k-th largest: skip the call
          if (this.size === k && Math.abs(v) < bestA[k - 1]) continue;
          this.consider(columns[j], v, k);
        }
      }
    } else {
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
    }
    // candidates: the touched columns and the first k untouched columns by |A_c|
    if (k > 0) {
      const bestA = this.bestA;
      for (let i = 0; i < n; i++) {
        const v = value[touched[i]];
        if (this.size === k && Math.abs(v) < bestA[k - 1]) continue;
        this.consider(touched[i], v, k);
      }
      const order = this.order;
      let taken = 0;
      for (let i = 0; i < order.length && taken < k; i++) {
        const c = order[i];
        if (mark[c] === stamp || (compactOf && compactOf[c] >= 0)) continue;
        this.consider(c, absent[c], k);
        taken++;
      }
    }
    this.prediction = prediction;
    return this.size;
  }

  /** Output of the last finish(): the row's prediction; its terms are bestC/bestV[0 .. size). */
  private prediction = 0;

  private topTerms(): TopTerms {
    const terms: [number, number][] = [];
    for (let i = 0; i < this.size; i++) terms.push([this.bestC[i], this.bestV[i]]);
    return { terms, prediction: this.prediction };
  }

  /** Keeps the k entries of largest |v| (non-zero, finite) in bestC/bestA/bestV, largest first, ties by column. */
  private consider(c: number, v: number, k: number): void {
    if (v === 0 || !Number.isFinite(v)) return;
    const a = Math.abs(v);
    const { bestA, bestC, bestV } = this;
    if (this.size === k) {
      const la = bestA[k - 1];
      if (a < la || (a === la && c > bestC[k - 1])) return;
    }
    let pos = this.size < k ? this.size++ : k - 1;
    while (pos > 0 && (bestA[pos - 1] < a || (bestA[pos - 1] === a && bestC[pos - 1] > c))) {
      bestA[pos] = bestA[pos - 1];
      bestC[pos] = bestC[pos - 1];
      bestV[pos] = bestV[pos - 1];
      pos--;
    }
    bestA[pos] = a;
    bestC[pos] = c;
    bestV[pos] = v;
  }

  private size = 0;
  private bestC = new Int32Array(8);
  private bestA = new Float64Array(8);
  private bestV = new Float64Array(8);
}
