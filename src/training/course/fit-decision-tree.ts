import type { SeededRandom } from '../../core/random.js';
import { DecisionTree, type TreeJson } from '../../inference/course/decision-tree.js';

/** Growing CART trees over binned columns (the served tree is src/inference/course/decision-tree.ts). */
export interface TreeFitOptions {
  task: 'classification' | 'regression';
  classes: number;
  maxDepth?: number;
  minSamplesLeaf?: number;
  minSamplesSplit?: number;
  /** Candidate features per split (random subset; RF); default all. */
  maxFeatures?: number;
  rng?: SeededRandom;
}

/**
 * Feature columns quantised once into at most `maxBins` ordered bins (every distinct value its
 * own bin when there are few), so that a node's split search is a histogram sweep, O(n + bins),
 * instead of a sort (the approach of LightGBM and scikit-learn's HistGradientBoosting). A split
 * after bin b uses the midpoint between the largest value in b and the smallest in b + 1.
 */
export interface BinnedColumns {
  featureIds: number[];
  bins: Uint8Array[];
  /** Per feature: split threshold after each bin (length bins - 1). */
  thresholds: Float64Array[];
  binCounts: number[];
}

export function binColumns(columns: readonly Float64Array[], featureIds: readonly number[], maxBins = 255): BinnedColumns {
  if (maxBins > 256) throw new Error('binColumns: at most 256 bins');
  const bins: Uint8Array[] = [];
  const thresholds: Float64Array[] = [];
  const binCounts: number[] = [];
  for (const col of columns) {
    const sorted = Float64Array.from(col).sort();
    const distinct: number[] = [];
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
    // upper edges: distinct values, or quantiles of them when there are too many
    let uppers: number[];
    if (distinct.length <= maxBins) uppers = distinct;
    else {
      const set = new Set<number>();
      for (let b = 1; b <= maxBins; b++) set.add(sorted[Math.min(sorted.length - 1, Math.ceil((b * sorted.length) / maxBins) - 1)]);
      uppers = [...set].sort((a, b) => a - b);
      if (uppers[uppers.length - 1] !== distinct[distinct.length - 1]) uppers.push(distinct[distinct.length - 1]);
    }
    const thr = new Float64Array(Math.max(0, uppers.length - 1));
    for (let b = 0; b + 1 < uppers.length; b++) {
      // smallest value above uppers[b]
      let lo = 0;
      let hi = distinct.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (distinct[mid] > uppers[b]) hi = mid;
        else lo = mid + 1;
      }
      const t = (uppers[b] + distinct[lo]) / 2;
      thr[b] = t === distinct[lo] ? uppers[b] : t;
    }
    const bin = new Uint8Array(col.length);
    for (let i = 0; i < col.length; i++) {
      let lo = 0;
      let hi = uppers.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (uppers[mid] >= col[i]) hi = mid;
        else lo = mid + 1;
      }
      bin[i] = lo;
    }
    bins.push(bin);
    thresholds.push(thr);
    binCounts.push(uppers.length);
  }
  return { featureIds: [...featureIds], bins, thresholds, binCounts };
}

/** Fits a tree on binned columns; `samples` lists the rows to use (repeats allowed: bootstrap). */
export function fitDecisionTree(data: BinnedColumns, y: Int32Array | Float64Array, samples: Int32Array, o: TreeFitOptions): DecisionTree {
  const classification = o.task === 'classification';
  const outputs = classification ? o.classes : 1;
  const maxDepth = o.maxDepth ?? Infinity;
  const minLeaf = Math.max(1, o.minSamplesLeaf ?? 1);
  const minSplit = Math.max(2, o.minSamplesSplit ?? 2);
  const nFeat = data.bins.length;
  const maxFeatures = Math.min(nFeat, o.maxFeatures ?? nFeat);
  const t: TreeJson = { outputs, feature: [], threshold: [], left: [], right: [], cover: [], value: [] };
  const featOrder = Array.from({ length: nFeat }, (_, i) => i);
  const idx = Int32Array.from(samples);
  const K = classification ? outputs : 3; // regression: count, sum, sum of squares
  const hist = new Float64Array(256 * K);
  const total = new Float64Array(K);
  const left = new Float64Array(K);
  const rightStats = new Float64Array(K);

  const impurityN = (s: Float64Array, n: number): number => {
    if (n === 0) return 0;
    if (classification) {
      let q = 0;
      for (let k = 0; k < outputs; k++) q += s[k] * s[k];
      return n - q / n;
    }
    return s[2] - (s[1] * s[1]) / n;
  };

  const build = (from: number, to: number, depth: number): number => {
    const node = t.feature.length;
    const n = to - from;
    total.fill(0);
    for (let i = from; i < to; i++) {
      const yi = y[idx[i]];
      if (classification) total[yi]++;
      else {
        total[0]++;
        total[1] += yi;
        total[2] += yi * yi;
      }
    }
    t.feature.push(-1);
    t.threshold.push(0);
    t.left.push(-1);
    t.right.push(-1);
    t.cover.push(n);
    if (classification) for (let k = 0; k < outputs; k++) t.value.push(total[k] / n);
    else t.value.push(total[1] / n);
    const parent = impurityN(total, n);
    if (depth >= maxDepth || n < minSplit || n < 2 * minLeaf || parent <= 1e-9 * n) return node;
    if (maxFeatures < nFeat && o.rng) {
      for (let i = 0; i < maxFeatures; i++) {
        const j = i + o.rng.int(nFeat - i);
        const tmp = featOrder[i];
        featOrder[i] = featOrder[j];
        featOrder[j] = tmp;
      }
    }
    const totalCopy = Float64Array.from(total);
    let bestGain = 1e-12;
    let bestFeat = -1;
    let bestBin = -1;
    let visited = 0;
    for (let fi = 0; fi < nFeat && (visited < maxFeatures || bestFeat < 0); fi++) {
      const f = featOrder[fi];
      const nb = data.binCounts[f];
      if (nb < 2) continue;
      visited++;
      const bin = data.bins[f];
      hist.fill(0, 0, nb * K);
      for (let i = from; i < to; i++) {
        const r = idx[i];
        const b = bin[r] * K;
        const yi = y[r];
        if (classification) hist[b + yi]++;
        else {
          hist[b]++;
          hist[b + 1] += yi;
          hist[b + 2] += yi * yi;
        }
      }
      left.fill(0);
      let nl = 0;
      for (let b = 0; b < nb - 1; b++) {
        let cnt = 0;
        for (let k = 0; k < K; k++) left[k] += hist[b * K + k];
        if (classification) for (let k = 0; k < K; k++) cnt += hist[b * K + k];
        else cnt = hist[b * K];
        if (cnt === 0) continue;
        nl += cnt;
        const nr = n - nl;
        if (nl < minLeaf) continue;
        if (nr < minLeaf) break;
        for (let k = 0; k < K; k++) rightStats[k] = totalCopy[k] - left[k];
        const gain = parent - impurityN(left, nl) - impurityN(rightStats, nr);
        if (gain > bestGain) {
          bestGain = gain;
          bestFeat = f;
          bestBin = b;
        }
      }
    }
    if (bestFeat < 0) return node;
    const bin = data.bins[bestFeat];
    let lo = from;
    let hi = to - 1;
    while (lo <= hi) {
      if (bin[idx[lo]] <= bestBin) lo++;
      else {
        const tmp = idx[lo];
        idx[lo] = idx[hi];
        idx[hi] = tmp;
        hi--;
      }
    }
    t.feature[node] = data.featureIds[bestFeat];
    t.threshold[node] = data.thresholds[bestFeat][bestBin];
    t.left[node] = build(from, lo, depth + 1);
    t.right[node] = build(lo, to, depth + 1);
    return node;
  };
  build(0, idx.length, 0);
  return new DecisionTree(t);
}
