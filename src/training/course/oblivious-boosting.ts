import { SeededRandom } from '../../core/random.js';
import { type TreeJson } from '../../inference/course/decision-tree.js';
import { binColumns } from './fit-decision-tree.js';
import { TreeEnsemble } from '../../inference/course/random-forest.js';
import { checkBoostingInputs, sampleRowsInPlace, targetMean } from './boosting-inputs.js';

/**
 * Gradient boosting with oblivious (symmetric) regression trees, squared loss, as CatBoost grows
 * them: every node of a level uses the same split (feature, threshold), chosen to minimise the
 * squared error summed over all the level's nodes. A node where that split would leave a child
 * with fewer than `minSamplesLeaf` rows is not split (it stays a leaf at that level; its training
 * rows all go one way anyway, so the fit is unchanged). Leaf values are shrunk sums,
 * sum(residual) / (count + l2), times the learning rate (scale).
 *
 * Why: a tree then depends on a row only through its `depth` level-split bits, so its exact
 * TreeSHAP values are one of 2^depth precomputed vectors (signature-shap.ts): explaining a row costs
 * what predicting it costs. Stored as ordinary TreeJson trees (offset = mean, scale = learning
 * rate), so the reference TreeSHAP, serialisation and every tree consumer work unchanged.
 */
export interface ObliviousBoostingOptions {
  rounds: number;
  learningRate: number;
  /** Levels per tree (at most 10). */
  depth: number;
  minSamplesLeaf?: number;
  /** L2 regularisation of the leaf values (CatBoost's l2_leaf_reg); default 1. */
  l2?: number;
  /** Fraction of the rows per round, in (0, 1]; default 1. */
  subsample?: number;
  /** Fraction of the features offered per level, in (0, 1]; default 1. */
  maxFeatures?: number;
  seed?: number;
}

export function fitObliviousBoosting(columns: readonly Float64Array[], featureIds: readonly number[], y: Float64Array, o: ObliviousBoostingOptions): TreeEnsemble {
  const { n, subsample, featureFraction } = checkBoostingInputs('oblivious boosting', columns, featureIds, y, o);
  if (!Number.isInteger(o.depth) || o.depth < 1 || o.depth > 10) throw new Error(`oblivious boosting: depth must be an integer in 1..10, got ${o.depth}`);
  const l2 = o.l2 ?? 1;
  if (!(l2 >= 0)) throw new Error(`oblivious boosting: l2 must be >= 0, got ${l2}`);
  const minLeaf = Math.max(1, o.minSamplesLeaf ?? 1);

  const rng = new SeededRandom(o.seed ?? 0);
  const data = binColumns(columns, featureIds);
  const nFeat = columns.length;
  const maxFeatures = Math.max(1, Math.round(featureFraction * nFeat));
  const featOrder = Int32Array.from({ length: nFeat }, (_, i) => i);
  const D = o.depth;
  const maxNodes = 1 << D;

  const mean = targetMean(y);
  const prediction = new Float64Array(n).fill(mean);
  const residual = new Float64Array(n);
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const take = Math.max(1, Math.round(subsample * n));
  // per sampled row: its node at the current level (-1: in a node that stopped splitting)
  const nodeOf = new Int32Array(n);
  const hist = new Float64Array(maxNodes * 256 * 2);
  const nodeCount = new Float64Array(maxNodes);
  const nodeSum = new Float64Array(maxNodes);
  const leftCount = new Float64Array(maxNodes);
  const leftSum = new Float64Array(maxNodes);
  const trees: TreeJson[] = [];
  const splitFeature = new Int32Array(D);
  const splitBin = new Int32Array(D);
  const columnOf = new Map(featureIds.map((f, j) => [f, j]));

  for (let round = 0; round < o.rounds; round++) {
    for (let i = 0; i < n; i++) residual[i] = y[i] - prediction[i];
    if (take < n) sampleRowsInPlace(rows, take, rng);
    for (let k = 0; k < take; k++) nodeOf[rows[k]] = 0;
    // active[node] at this level: still splitting; each level doubles the node ids (left 2i, right 2i+1)
    let width = 1;
    let levels = 0;
    const active = new Uint8Array(maxNodes);
    active[0] = 1;
    for (let level = 0; level < D; level++) {
      nodeCount.fill(0, 0, width);
      nodeSum.fill(0, 0, width);
      for (let k = 0; k < take; k++) {
        const r = rows[k];
        const nd = nodeOf[r];
        if (nd < 0) continue;
        nodeCount[nd]++;
        nodeSum[nd] += residual[r];
      }
      let parentScore = 0;
      for (let nd = 0; nd < width; nd++) if (active[nd] && nodeCount[nd] > 0) parentScore += (nodeSum[nd] * nodeSum[nd]) / (nodeCount[nd] + l2);
      for (let i = 0; i < maxFeatures; i++) {
        const j = i + rng.int(nFeat - i);
        const tmp = featOrder[i];
        featOrder[i] = featOrder[j];
        featOrder[j] = tmp;
      }
      let bestGain = 1e-12;
      let bestFeat = -1;
      let bestBin = -1;
      for (let fi = 0; fi < maxFeatures; fi++) {
        const f = featOrder[fi];
        const nb = data.binCounts[f];
        if (nb < 2) continue;
        const bin = data.bins[f];
        hist.fill(0, 0, width * nb * 2);
        for (let k = 0; k < take; k++) {
          const r = rows[k];
          const nd = nodeOf[r];
          if (nd < 0) continue;
          const h = (nd * nb + bin[r]) * 2;
          hist[h]++;
          hist[h + 1] += residual[r];
        }
        leftCount.fill(0, 0, width);
        leftSum.fill(0, 0, width);
        for (let b = 0; b < nb - 1; b++) {
          // gain of splitting every active node after bin b (nodes whose children would be too small stay whole)
          let score = 0;
          let any = false;
          for (let nd = 0; nd < width; nd++) {
            if (!active[nd]) continue;
            const h = (nd * nb + b) * 2;
            leftCount[nd] += hist[h];
            leftSum[nd] += hist[h + 1];
            const c = nodeCount[nd];
            const s = nodeSum[nd];
            const cl = leftCount[nd];
            const cr = c - cl;
            if (cl >= minLeaf && cr >= minLeaf) {
              const sl = leftSum[nd];
              const sr = s - sl;
              score += (sl * sl) / (cl + l2) + (sr * sr) / (cr + l2);
              any = true;
            } else if (c > 0) score += (s * s) / (c + l2);
          }
          const gain = score - parentScore;
          if (any && gain > bestGain) {
            bestGain = gain;
            bestFeat = f;
            bestBin = b;
          }
        }
      }
      if (bestFeat < 0) break;
      splitFeature[level] = bestFeat;
      splitBin[level] = bestBin;
      levels++;
      // which nodes split: both children big enough
      const splits = new Uint8Array(width);
      const bin = data.bins[bestFeat];
      leftCount.fill(0, 0, width);
      for (let k = 0; k < take; k++) {
        const r = rows[k];
        const nd = nodeOf[r];
        if (nd >= 0 && bin[r] <= bestBin) leftCount[nd]++;
      }
      for (let nd = 0; nd < width; nd++) splits[nd] = active[nd] && leftCount[nd] >= minLeaf && nodeCount[nd] - leftCount[nd] >= minLeaf ? 1 : 0;
      const next = new Uint8Array(maxNodes);
      for (let nd = 0; nd < width; nd++) if (splits[nd]) next[2 * nd] = next[2 * nd + 1] = 1;
      // rows of nodes that split move down; the others stop (their node is a leaf from here on)
      for (let k = 0; k < take; k++) {
        const r = rows[k];
        const nd = nodeOf[r];
        if (nd < 0) continue;
        nodeOf[r] = splits[nd] ? 2 * nd + (bin[r] <= bestBin ? 0 : 1) : -1;
      }
      width *= 2;
      for (let nd = 0; nd < width; nd++) active[nd] = next[nd];
    }
    const tree = buildTree(data, splitFeature.subarray(0, levels), splitBin.subarray(0, levels), rows.subarray(0, take), residual, minLeaf, l2);
    trees.push(tree);
    const { feature, threshold, left, right, value } = tree;
    for (let i = 0; i < n; i++) {
      let node = 0;
      while (feature[node] >= 0) node = columns[columnOf.get(feature[node])!][i] <= threshold[node] ? left[node] : right[node];
      prediction[i] += o.learningRate * value[node];
    }
  }
  return new TreeEnsemble({
    type: 'forest',
    algorithm: 'gradient-boosting',
    task: 'regression',
    classes: 1,
    trees,
    offset: [mean],
    scale: o.learningRate,
  });
}

/**
 * The tree of the chosen level splits over the round's rows: a node splits at level k on
 * (splitFeature[k], splitBin[k]) when both children get at least minLeaf rows, else it is a leaf.
 * Covers are row counts; leaf values sum / (count + l2).
 */
function buildTree(
  data: ReturnType<typeof binColumns>,
  splitFeature: Int32Array,
  splitBin: Int32Array,
  rows: Int32Array,
  residual: Float64Array,
  minLeaf: number,
  l2: number,
): TreeJson {
  const t: TreeJson = { outputs: 1, feature: [], threshold: [], left: [], right: [], cover: [], value: [] };
  const idx = Int32Array.from(rows);
  const build = (from: number, to: number, level: number): number => {
    const node = t.feature.length;
    let s = 0;
    for (let i = from; i < to; i++) s += residual[idx[i]];
    const c = to - from;
    t.feature.push(-1);
    t.threshold.push(0);
    t.left.push(-1);
    t.right.push(-1);
    t.cover.push(c);
    t.value.push(s / (c + l2));
    if (level >= splitFeature.length) return node;
    const f = splitFeature[level];
    const b = splitBin[level];
    const bin = data.bins[f];
    let lo = from;
    let hi = to - 1;
    while (lo <= hi) {
      if (bin[idx[lo]] <= b) lo++;
      else {
        const tmp = idx[lo];
        idx[lo] = idx[hi];
        idx[hi] = tmp;
        hi--;
      }
    }
    if (lo - from < minLeaf || to - lo < minLeaf) return node;
    t.feature[node] = data.featureIds[f];
    t.threshold[node] = data.thresholds[f][b];
    t.left[node] = build(from, lo, level + 1);
    t.right[node] = build(lo, to, level + 1);
    return node;
  };
  build(0, idx.length, 0);
  return t;
}
