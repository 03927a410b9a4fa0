import type { TreeJson } from './decision-tree.js';

/**
 * Exact path-dependent TreeSHAP of a tree ensemble from precomputed tables (same values as the
 * recursive reference in tree-shap.ts, which the tests compare against to 1e-9).
 *
 * Path formulation (GPUTreeShap, Mitchell et al. 2022; per-pattern tables as in Fast TreeSHAP v2,
 * Yang 2021): a leaf l reached through the unique features P (|P| = d; a feature split on several
 * times along the path is merged: zero fraction z = product of its cover ratios, and x satisfies
 * it when it follows every one of those splits) contributes to feature i in P
 *
 *   v_l (o_i - z_i) sum_{S subset of Q \ {i}} |S|! (d - 1 - |S|)! / d!  prod_{j in P \ S, j != i} z_j
 *
 * with o_i = 1 when x satisfies i and Q the satisfied features. It depends on x only through the
 * pattern Q, so each leaf stores d contributions for each of its 2^d patterns (`leafTable`).
 *
 * Two layouts, chosen per tree:
 *  - signature trees: when the tree has at most SIGNATURE_MAX_SPLITS distinct (feature, threshold)
 *    splits (an oblivious tree of depth D has D), every leaf's pattern is a function of the s bits
 *    "x[f] <= t" of those splits, so the whole tree's output and SHAP vector are looked up by that
 *    s-bit signature: 2^s x (1 + U) numbers (U: the tree's distinct features). Explaining costs s
 *    comparisons and U additions, what predicting costs.
 *  - path trees (any other tree): one comparison per internal node builds every leaf's pattern top
 *    down (a child inherits its parent's pattern and sets or clears the bit of the parent's
 *    feature), then one table row per leaf: sum of path lengths additions, against
 *    leaves x depth^2 for the recursive algorithm. 2^d x d numbers per leaf (d <= depth).
 *
 * Everything is flat typed arrays; a row is explained without allocating.
 */
export const SIGNATURE_MAX_SPLITS = 10;
/** Path trees whose unique path length exceeds this use too much table memory (2^d x d per leaf). */
export const PATH_TABLE_MAX_DEPTH = 12;

export interface TreeShapTablesOptions {
  /** Output of multi-output trees (class k); default 0. */
  output?: number;
  /** Factor on every tree's output (the ensemble's scale). */
  scale: number;
  /** The ensemble's offset for this output (added to the base value and the prediction). */
  offset: number;
}

export class TreeShapTables {
  /** Compact feature id -> design-matrix column. */
  readonly columns: Int32Array;
  /** Design-matrix column -> compact id, -1 when no tree splits on it. */
  readonly compactOf: Int32Array;
  /** Expected output (cover-weighted, scaled, with the offset): the SHAP base value. */
  readonly base: number;
  readonly offset: number;
  readonly signatureTrees: number;
  readonly pathTrees: number;
  // signature trees
  private readonly sSplitStart: Int32Array;
  private readonly sSplitFeature: Int32Array;
  private readonly sSplitThreshold: Float64Array;
  private readonly sFeatureStart: Int32Array;
  private readonly sFeature: Int32Array;
  /** Per tree 2^s rows of (1 + U) numbers: the tree's output, then its SHAP values for its U features. */
  private readonly sTableStart: Int32Array;
  private readonly sTable: Float64Array;
  // path trees: internal nodes in pre-order, then leaves
  private readonly pNodeStart: Int32Array;
  private readonly pLeafStart: Int32Array;
  private readonly pNodeFeature: Int32Array;
  private readonly pNodeThreshold: Float64Array;
  private readonly pNodeSelf: Int32Array;
  private readonly pNodeLeft: Int32Array;
  private readonly pNodeRight: Int32Array;
  private readonly pNodeBit: Int32Array;
  private readonly pNodeNew: Int32Array;
  private readonly pLeafSlot: Int32Array;
  private readonly pLeafDepth: Int32Array;
  private readonly pLeafValue: Float64Array;
  private readonly pLeafFeatureStart: Int32Array;
  private readonly pLeafFeature: Int32Array;
  private readonly pLeafTable: Int32Array;
  private readonly pTable: Float64Array;
  private readonly state: Int32Array;
  /**
   * Row stride of the SHAP buffers of explainRows: featureCount + 1, the last column a scratch
   * slot for padded table entries (always receives zeros).
   */
  readonly phiStride: number;
  private readonly scratchPhi: Float64Array;
  /** Child of a path-tree node: the node's index, or -(leaf index + 1). */
  private readonly pChildLeft: Int32Array;
  private readonly pChildRight: Int32Array;

  /** Throws when a tree is too deep for path tables (callers fall back to the recursive algorithm). */
  constructor(trees: readonly TreeJson[], cols: number, o: TreeShapTablesOptions) {
    const output = o.output ?? 0;
    const compactOf = new Int32Array(cols).fill(-1);
    const columns: number[] = [];
    const compact = (f: number): number => {
      if (!(f >= 0 && f < cols)) throw new Error(`tree shap tables: a tree splits on column ${f}, the design matrix has ${cols}`);
      if (compactOf[f] < 0) {
        compactOf[f] = columns.length;
        columns.push(f);
      }
      return compactOf[f];
    };
    let base = o.offset;
    const sig = { splitStart: [0], splitFeature: [] as number[], splitThreshold: [] as number[], featureStart: [0], feature: [] as number[], tableStart: [0], tables: [] as Float64Array[], size: 0 };
    const path = {
      nodeStart: [0],
      leafStart: [0],
      nodeFeature: [] as number[],
      nodeThreshold: [] as number[],
      nodeSelf: [] as number[],
      nodeLeft: [] as number[],
      nodeRight: [] as number[],
      nodeBit: [] as number[],
      nodeNew: [] as number[],
      childLeft: [] as number[],
      childRight: [] as number[],
      leafSlot: [] as number[],
      leafDepth: [] as number[],
      leafValue: [] as number[],
      leafFeatureStart: [] as number[],
      leafFeature: [] as number[],
      leafTable: [] as number[],
      tables: [] as Float64Array[],
      tableSize: 0,
    };
    let maxSlots = 1;
    for (const tree of trees) {
      const leaves = decompose(tree, output, o.scale);
      for (const l of leaves) {
        base += (tree.cover[l.node] / tree.cover[0]) * l.value;
        if (!(tree.cover[l.node] >= 0) || !(tree.cover[0] > 0)) throw new Error('tree shap tables: covers must be positive');
      }
      // distinct splits
      const splitKey = new Map<string, number>();
      const splitList: { f: number; t: number }[] = [];
      for (let n = 0; n < tree.feature.length; n++) {
        if (tree.feature[n] < 0) continue;
        const key = `${tree.feature[n]}:${tree.threshold[n]}`;
        if (!splitKey.has(key)) {
          splitKey.set(key, splitList.length);
          splitList.push({ f: tree.feature[n], t: tree.threshold[n] });
        }
      }
      if (splitList.length <= SIGNATURE_MAX_SPLITS) {
        const s = splitList.length;
        const feats = [...new Set(splitList.map((x) => x.f))];
        const slotOf = new Map(feats.map((f, j) => [f, j]));
        const U = feats.length;
        const values = new Float64Array(1 << s);
        const phi = new Float64Array((1 << s) * U);
        for (const l of leaves) {
          const d = l.features.length;
          const table = leafTable(l.zero, l.value);
          const pathSplits = l.nodes.map((n) => splitKey.get(`${tree.feature[n]}:${tree.threshold[n]}`)!);
          const featureSlot = l.features.map((f) => slotOf.get(f)!);
          for (let g = 0; g < 1 << s; g++) {
            // pattern of this leaf under signature g (bit k of g: x <= threshold of split k)
            let q = (1 << d) - 1;
            let reached = true;
            for (let p = 0; p < l.nodes.length; p++) {
              const goesLeft = (g >> pathSplits[p]) & 1;
              if (goesLeft !== (l.wentLeft[p] ? 1 : 0)) {
                q &= ~(1 << l.slot[p]);
                reached = false;
              }
            }
            if (reached) values[g] += l.value;
            const row = q * d;
            for (let k = 0; k < d; k++) phi[g * U + featureSlot[k]] += table[row + k];
          }
        }
        for (const x of splitList) {
          sig.splitFeature.push(compact(x.f));
          sig.splitThreshold.push(x.t);
        }
        sig.splitStart.push(sig.splitFeature.length);
        // feature lists padded to s entries (the padding points at the scratch column, with zeros),
        // so depth-6 trees take the unrolled path of explainRows
        const P = Math.max(U, s);
        for (const f of feats) sig.feature.push(compact(f));
        for (let j = U; j < P; j++) sig.feature.push(-1);
        sig.featureStart.push(sig.feature.length);
        const rows = new Float64Array((1 << s) * (P + 1));
        for (let g = 0; g < 1 << s; g++) {
          rows[g * (P + 1)] = values[g];
          for (let j = 0; j < U; j++) rows[g * (P + 1) + 1 + j] = phi[g * U + j];
        }
        sig.tables.push(rows);
        sig.size += rows.length;
        sig.tableStart.push(sig.size);
        continue;
      }
      // path tree
      let slots = 1;
      const slotOfNode = new Map<number, number>([[0, 0]]);
      const order: number[] = [];
      const pre = (n: number): void => {
        if (tree.feature[n] < 0) return;
        order.push(n);
        slotOfNode.set(tree.left[n], slots++);
        slotOfNode.set(tree.right[n], slots++);
        pre(tree.left[n]);
        pre(tree.right[n]);
      };
      pre(0);
      // bit of a node's feature in its subtree's patterns, and whether it first appears there
      const bitOf = new Map<number, { bit: number; isNew: boolean }>();
      const walk = (n: number, feats: number[]): void => {
        if (tree.feature[n] < 0) return;
        const f = tree.feature[n];
        let k = feats.indexOf(f);
        const isNew = k < 0;
        if (isNew) k = feats.length;
        if (k >= 31) throw new Error(`tree shap tables: a path has more than 31 distinct features`);
        bitOf.set(n, { bit: 1 << k, isNew });
        const next = isNew ? [...feats, f] : feats;
        walk(tree.left[n], next);
        walk(tree.right[n], next);
      };
      walk(0, []);
      const nodeBase = path.nodeFeature.length;
      const leafBase = path.leafSlot.length;
      const orderIndex = new Map(order.map((n, i) => [n, nodeBase + i]));
      const leafIndex = new Map(leaves.map((l, i) => [l.node, leafBase + i]));
      const child = (c: number): number => (tree.feature[c] >= 0 ? orderIndex.get(c)! : -(leafIndex.get(c)! + 1));
      for (const n of order) {
        path.childLeft.push(child(tree.left[n]));
        path.childRight.push(child(tree.right[n]));
        path.nodeFeature.push(compact(tree.feature[n]));
        path.nodeThreshold.push(tree.threshold[n]);
        path.nodeSelf.push(slotOfNode.get(n)!);
        path.nodeLeft.push(slotOfNode.get(tree.left[n])!);
        path.nodeRight.push(slotOfNode.get(tree.right[n])!);
        const b = bitOf.get(n)!;
        path.nodeBit.push(b.bit);
        path.nodeNew.push(b.isNew ? b.bit : 0);
      }
      for (const l of leaves) {
        const d = l.features.length;
        if (d > PATH_TABLE_MAX_DEPTH) throw new Error(`tree shap tables: a path has ${d} distinct features (more than ${PATH_TABLE_MAX_DEPTH})`);
        path.leafSlot.push(slotOfNode.get(l.node)!);
        path.leafDepth.push(d);
        path.leafValue.push(l.value);
        path.leafFeatureStart.push(path.leafFeature.length);
        for (const f of l.features) path.leafFeature.push(compact(f));
        path.leafTable.push(path.tableSize);
        const t = leafTable(l.zero, l.value);
        path.tables.push(t);
        path.tableSize += t.length;
      }
      path.nodeStart.push(path.nodeFeature.length);
      path.leafStart.push(path.leafSlot.length);
      maxSlots = Math.max(maxSlots, slots);
    }
    path.leafFeatureStart.push(path.leafFeature.length);
    this.columns = Int32Array.from(columns);
    this.compactOf = compactOf;
    this.base = base;
    this.offset = o.offset;
    this.signatureTrees = sig.splitStart.length - 1;
    this.pathTrees = path.nodeStart.length - 1;
    this.sSplitStart = Int32Array.from(sig.splitStart);
    this.sSplitFeature = Int32Array.from(sig.splitFeature);
    this.sSplitThreshold = Float64Array.from(sig.splitThreshold);
    this.sFeatureStart = Int32Array.from(sig.featureStart);
    // padding entries: the scratch column after the real ones (phiStride = featureCount + 1)
    this.sFeature = Int32Array.from(sig.feature, (f) => (f < 0 ? columns.length : f));
    this.phiStride = columns.length + 1;
    this.scratchPhi = new Float64Array(this.phiStride);
    this.sTableStart = Int32Array.from(sig.tableStart);
    this.sTable = new Float64Array(sig.size);
    {
      let at = 0;
      for (const t of sig.tables) {
        this.sTable.set(t, at);
        at += t.length;
      }
    }
    this.pNodeStart = Int32Array.from(path.nodeStart);
    this.pLeafStart = Int32Array.from(path.leafStart);
    this.pNodeFeature = Int32Array.from(path.nodeFeature);
    this.pNodeThreshold = Float64Array.from(path.nodeThreshold);
    this.pNodeSelf = Int32Array.from(path.nodeSelf);
    this.pNodeLeft = Int32Array.from(path.nodeLeft);
    this.pNodeRight = Int32Array.from(path.nodeRight);
    this.pNodeBit = Int32Array.from(path.nodeBit);
    this.pNodeNew = Int32Array.from(path.nodeNew);
    this.pChildLeft = Int32Array.from(path.childLeft);
    this.pChildRight = Int32Array.from(path.childRight);
    this.pLeafSlot = Int32Array.from(path.leafSlot);
    this.pLeafDepth = Int32Array.from(path.leafDepth);
    this.pLeafValue = Float64Array.from(path.leafValue);
    this.pLeafFeatureStart = Int32Array.from(path.leafFeatureStart);
    this.pLeafFeature = Int32Array.from(path.leafFeature);
    this.pLeafTable = Int32Array.from(path.leafTable);
    this.pTable = new Float64Array(path.tableSize);
    let at = 0;
    for (const t of path.tables) {
      this.pTable.set(t, at);
      at += t.length;
    }
    this.state = new Int32Array(maxSlots);
  }

  /** Distinct features the trees split on (length of a compact row / SHAP vector). */
  get featureCount(): number {
    return this.columns.length;
  }

  /** Bytes held by the tables and their index arrays (per model version and output). */
  get bytes(): number {
    let b = 0;
    for (const a of [
      this.columns, this.compactOf, this.sSplitStart, this.sSplitFeature, this.sSplitThreshold, this.sFeatureStart, this.sFeature, this.sTableStart, this.sTable,
      this.pNodeStart, this.pLeafStart, this.pNodeFeature, this.pNodeThreshold, this.pNodeSelf, this.pNodeLeft, this.pNodeRight, this.pNodeBit, this.pNodeNew, this.pChildLeft, this.pChildRight,
      this.pLeafSlot, this.pLeafDepth, this.pLeafValue, this.pLeafFeatureStart, this.pLeafFeature, this.pLeafTable, this.pTable, this.state, this.scratchPhi,
    ]) b += a.byteLength;
    return b;
  }

  /**
   * The compact dense row of CSR row data, written at x[at .. at + featureCount) (zeroed first;
   * columns no tree uses are skipped).
   */
  gather(indices: Int32Array, values: Float64Array, start: number, end: number, x: Float64Array, at = 0): void {
    x.fill(0, at, at + this.columns.length);
    const compactOf = this.compactOf;
    for (let p = start; p < end; p++) {
      const c = compactOf[indices[p]];
      if (c >= 0) x[at + c] = values[p];
    }
  }

  /** The ensemble's output for a compact row (offset + scale * sum of the trees). */
  predict(x: Float64Array): number {
    let out = this.offset;
    const { sSplitStart, sSplitFeature, sSplitThreshold, sFeatureStart, sTableStart, sTable } = this;
    const S = this.signatureTrees;
    for (let t = 0; t < S; t++) {
      const a = sSplitStart[t];
      const b = sSplitStart[t + 1];
      let g = 0;
      for (let k = a; k < b; k++) g |= Number(x[sSplitFeature[k]] <= sSplitThreshold[k]) << (k - a);
      out += sTable[sTableStart[t] + g * (sFeatureStart[t + 1] - sFeatureStart[t] + 1)];
    }
    if (this.pathTrees > 0) out += this.predictPathTrees(x);
    return out;
  }

  /**
   * Adds the SHAP values of a compact row into phi (compact layout) and returns the prediction
   * (the same number predict() returns); base + sum(phi added) = prediction.
   */
  explain(x: Float64Array, phi: Float64Array): number {
    const pred = this.one;
    const scratch = this.scratchPhi;
    scratch.fill(0);
    this.explainRows(x, 1, scratch, pred);
    for (let k = 0; k < this.columns.length; k++) phi[k] += scratch[k];
    return pred[0];
  }

  private readonly one = new Float64Array(1);

  /** predict() for `rows` compact rows (row-major), tree by tree over the rows. */
  predictRows(x: Float64Array, rows: number, pred: Float64Array): void {
    const F = this.columns.length;
    const { sSplitStart, sSplitFeature, sSplitThreshold, sFeatureStart, sTableStart, sTable } = this;
    const S = this.signatureTrees;
    for (let r = 0; r < rows; r++) pred[r] = this.offset;
    for (let t = 0; t < S; t++) {
      const a = sSplitStart[t];
      const b = sSplitStart[t + 1];
      const stride = sFeatureStart[t + 1] - sFeatureStart[t] + 1;
      const t0 = sTableStart[t];
      if (b - a === 6) {
        const c0 = sSplitFeature[a], c1 = sSplitFeature[a + 1], c2 = sSplitFeature[a + 2], c3 = sSplitFeature[a + 3], c4 = sSplitFeature[a + 4], c5 = sSplitFeature[a + 5];
        const h0 = sSplitThreshold[a], h1 = sSplitThreshold[a + 1], h2 = sSplitThreshold[a + 2], h3 = sSplitThreshold[a + 3], h4 = sSplitThreshold[a + 4], h5 = sSplitThreshold[a + 5];
        for (let r = 0; r < rows; r++) {
          const xo = r * F;
          const g =
            Number(x[xo + c0] <= h0) |
            (Number(x[xo + c1] <= h1) << 1) |
            (Number(x[xo + c2] <= h2) << 2) |
            (Number(x[xo + c3] <= h3) << 3) |
            (Number(x[xo + c4] <= h4) << 4) |
            (Number(x[xo + c5] <= h5) << 5);
          pred[r] += sTable[t0 + g * stride];
        }
        continue;
      }
      for (let r = 0; r < rows; r++) {
        const xo = r * F;
        let g = 0;
        for (let k = a; k < b; k++) g |= Number(x[xo + sSplitFeature[k]] <= sSplitThreshold[k]) << (k - a);
        pred[r] += sTable[t0 + g * stride];
      }
    }
    if (this.pathTrees > 0) for (let r = 0; r < rows; r++) pred[r] += this.predictPathTrees(x.subarray(r * F, r * F + F));
  }

  /**
   * explain() for `rows` compact rows at once (x row-major with featureCount per row, phi with
   * phiStride per row, adds into it; pred gets each row's prediction). Tree by tree over the rows,
   * so a tree's table stays in cache.
   */
  explainRows(x: Float64Array, rows: number, phi: Float64Array, pred: Float64Array): void {
    const F = this.columns.length;
    const PS = this.phiStride;
    const { sSplitStart, sSplitFeature, sSplitThreshold, sFeatureStart, sFeature, sTableStart, sTable } = this;
    const S = this.signatureTrees;
    for (let r = 0; r < rows; r++) pred[r] = this.offset;
    for (let t = 0; t < S; t++) {
      const a = sSplitStart[t];
      const b = sSplitStart[t + 1];
      const f0 = sFeatureStart[t];
      const u = sFeatureStart[t + 1] - f0;
      const stride = u + 1;
      const t0 = sTableStart[t];
      if (b - a === 6 && u === 6) {
        // the common case (oblivious trees of depth 6), unrolled with the splits in locals
        const c0 = sSplitFeature[a], c1 = sSplitFeature[a + 1], c2 = sSplitFeature[a + 2], c3 = sSplitFeature[a + 3], c4 = sSplitFeature[a + 4], c5 = sSplitFeature[a + 5];
        const h0 = sSplitThreshold[a], h1 = sSplitThreshold[a + 1], h2 = sSplitThreshold[a + 2], h3 = sSplitThreshold[a + 3], h4 = sSplitThreshold[a + 4], h5 = sSplitThreshold[a + 5];
        const p0 = sFeature[f0], p1 = sFeature[f0 + 1], p2 = sFeature[f0 + 2], p3 = sFeature[f0 + 3], p4 = sFeature[f0 + 4], p5 = sFeature[f0 + 5];
        for (let r = 0; r < rows; r++) {
          const xo = r * F;
          const po = r * PS;
          // Number(bool) compiles without branches (a ternary is ~3x slower on unpredictable splits)
          const g =
            Number(x[xo + c0] <= h0) |
            (Number(x[xo + c1] <= h1) << 1) |
            (Number(x[xo + c2] <= h2) << 2) |
            (Number(x[xo + c3] <= h3) << 3) |
            (Number(x[xo + c4] <= h4) << 4) |
            (Number(x[xo + c5] <= h5) << 5);
          const row = t0 + g * 7;
          pred[r] += sTable[row];
          phi[po + p0] += sTable[row + 1];
          phi[po + p1] += sTable[row + 2];
          phi[po + p2] += sTable[row + 3];
          phi[po + p3] += sTable[row + 4];
          phi[po + p4] += sTable[row + 5];
          phi[po + p5] += sTable[row + 6];
        }
        continue;
      }
      for (let r = 0; r < rows; r++) {
        const xo = r * F;
        const po = r * PS;
        let g = 0;
        for (let k = a; k < b; k++) g |= Number(x[xo + sSplitFeature[k]] <= sSplitThreshold[k]) << (k - a);
        const row = t0 + g * stride;
        pred[r] += sTable[row];
        for (let j = 0; j < u; j++) phi[po + sFeature[f0 + j]] += sTable[row + 1 + j];
      }
    }
    if (this.pathTrees > 0) {
      for (let r = 0; r < rows; r++) pred[r] += this.explainPathTrees(x.subarray(r * F, r * F + F), phi.subarray(r * PS, r * PS + PS));
    }
  }

  private predictPathTrees(x: Float64Array): number {
    let out = 0;
    const { pNodeStart, pNodeFeature, pNodeThreshold, pChildLeft, pChildRight, pLeafValue } = this;
    for (let t = 0; t < this.pathTrees; t++) {
      let n = pNodeStart[t];
      while (n >= 0) n = x[pNodeFeature[n]] <= pNodeThreshold[n] ? pChildLeft[n] : pChildRight[n];
      out += pLeafValue[-n - 1];
    }
    return out;
  }

  private explainPathTrees(x: Float64Array, phi: Float64Array): number {
    let out = 0;
    const { pNodeStart, pLeafStart, pNodeFeature, pNodeThreshold, pNodeSelf, pNodeLeft, pNodeRight, pNodeBit, pNodeNew, pLeafSlot, pLeafDepth, pLeafValue, pLeafFeatureStart, pLeafFeature, pLeafTable, pTable, state } = this;
    for (let t = 0; t < this.pathTrees; t++) {
      state[0] = 0;
      for (let n = pNodeStart[t]; n < pNodeStart[t + 1]; n++) {
        const s = state[pNodeSelf[n]];
        const bit = pNodeBit[n];
        const nw = pNodeNew[n];
        if (x[pNodeFeature[n]] <= pNodeThreshold[n]) {
          state[pNodeLeft[n]] = s | nw;
          state[pNodeRight[n]] = s & ~bit;
        } else {
          state[pNodeLeft[n]] = s & ~bit;
          state[pNodeRight[n]] = s | nw;
        }
      }
      for (let l = pLeafStart[t]; l < pLeafStart[t + 1]; l++) {
        const d = pLeafDepth[l];
        const q = state[pLeafSlot[l]];
        if (q === (1 << d) - 1) out += pLeafValue[l];
        const off = pLeafTable[l] + q * d;
        const fs = pLeafFeatureStart[l];
        for (let k = 0; k < d; k++) phi[pLeafFeature[fs + k]] += pTable[off + k];
      }
    }
    return out;
  }
}

interface LeafPath {
  node: number;
  /** Scaled leaf value. */
  value: number;
  /** Unique features of the path, in order of first appearance, with their merged zero fractions. */
  features: number[];
  zero: number[];
  /** The internal nodes of the path, whether the path goes left at each, and that node's feature slot. */
  nodes: number[];
  wentLeft: boolean[];
  slot: number[];
}

/** Every root-to-leaf path with merged duplicate features (GPUTreeShap's path decomposition). */
function decompose(tree: TreeJson, output: number, scale: number): LeafPath[] {
  const out: LeafPath[] = [];
  const oc = tree.outputs;
  const nodes: number[] = [];
  const wentLeft: boolean[] = [];
  const slot: number[] = [];
  const features: number[] = [];
  const zero: number[] = [];
  const visit = (n: number): void => {
    const f = tree.feature[n];
    if (f < 0) {
      out.push({ node: n, value: scale * tree.value[n * oc + output], features: [...features], zero: [...zero], nodes: [...nodes], wentLeft: [...wentLeft], slot: [...slot] });
      return;
    }
    let k = features.indexOf(f);
    const isNew = k < 0;
    if (isNew) {
      k = features.length;
      features.push(f);
      zero.push(1);
    }
    const z = zero[k];
    const c = tree.cover[n];
    nodes.push(n);
    slot.push(k);
    for (const left of [true, false]) {
      const child = left ? tree.left[n] : tree.right[n];
      zero[k] = z * (tree.cover[child] / c);
      wentLeft.push(left);
      visit(child);
      wentLeft.pop();
    }
    zero[k] = z;
    nodes.pop();
    slot.pop();
    if (isNew) {
      features.pop();
      zero.pop();
    }
  };
  visit(0);
  return out;
}

/**
 * The d contributions of a leaf (value v, zero fractions z of its d unique path features) for each
 * of the 2^d satisfied-feature patterns q (bit k set: x satisfies feature k), row-major:
 * out[q * d + k].
 */
export function leafTable(z: readonly number[], v: number): Float64Array {
  const d = z.length;
  const out = new Float64Array(d << d);
  if (d === 0) return out;
  const full = (1 << d) - 1;
  // w[s] = s! (d - 1 - s)! / d!
  const w = new Float64Array(d);
  for (let s = 0; s < d; s++) w[s] = (factorial(s) * factorial(d - 1 - s)) / factorial(d);
  // per subset T of the features: prod_{j in T} z_j, and H(T) = sum_{S subset of T} w(|S|) prod_{j in T \ S} z_j
  //   = sum_s w(s) e_{|T| - s}(z_T), with the elementary symmetric polynomials e of z over T built
  //   from T minus its highest member: e(T) = e(T') * (1 + z_j t)
  const prod = new Float64Array(1 << d);
  const H = new Float64Array(1 << d);
  const e = new Float64Array((1 << d) * (d + 1));
  const size = new Int32Array(1 << d);
  prod[0] = 1;
  e[0] = 1;
  for (let T = 1; T <= full; T++) {
    const j = 31 - Math.clz32(T);
    const P = T & ~(1 << j);
    prod[T] = prod[P] * z[j];
    const m = (size[T] = size[P] + 1);
    const eo = T * (d + 1);
    const po = P * (d + 1);
    e[eo] = 1;
    for (let a = 1; a <= m; a++) e[eo + a] = e[po + a] + e[po + a - 1] * z[j];
  }
  for (let T = 0; T <= full; T++) {
    if (size[T] >= d) continue; // T never excludes the explained feature
    let g = 0;
    for (let s = 0; s <= size[T]; s++) g += w[s] * e[T * (d + 1) + size[T] - s];
    H[T] = g;
  }
  for (let q = 0; q <= full; q++) {
    for (let k = 0; k < d; k++) {
      const bit = 1 << k;
      const T = q & ~bit;
      const outside = full & ~T & ~bit; // features neither in T nor k: their zero fractions multiply
      const one = q & bit ? 1 : 0;
      out[q * d + k] = v * (one - z[k]) * prod[outside] * H[T];
    }
  }
  return out;
}

const FACT = [1, 1, 2, 6, 24, 120, 720, 5040, 40320, 362880, 3628800, 39916800, 479001600];
function factorial(n: number): number {
  if (n < FACT.length) return FACT[n];
  let f = FACT[FACT.length - 1];
  for (let i = FACT.length; i <= n; i++) f *= i;
  return f;
}
