import type { TreeJson } from './decision-tree.js';

/**
 * Exact TreeSHAP (Lundberg et al. 2018, Algorithm 2, path-dependent): Shapley values of a tree's
 * output for one dense row, with the expectation over missing features taken along the tree by
 * the training covers. phi sums with the base value (the cover-weighted mean output) to the
 * tree's prediction.
 *
 * Laid out as the reference implementation (shap's tree_shap.h): the unique feature paths of all
 * recursion levels live in one preallocated buffer (level d's path right after level d-1's), and
 * the unwound path sums are computed without copying, so a row costs O(leaves * depth^2) with no
 * allocation. That matters for boosted ensembles of hundreds of trees explained per record.
 */
interface PathBuffer {
  feature: Int32Array;
  zero: Float64Array;
  one: Float64Array;
  weight: Float64Array;
}

interface TreeInfo {
  depth: number;
  expected: number[];
}

const infoCache = new WeakMap<TreeJson, TreeInfo>();
const buffers: PathBuffer[] = [];

function treeInfo(tree: TreeJson): TreeInfo {
  let info = infoCache.get(tree);
  if (!info) {
    const depthOf = (node: number): number => (tree.feature[node] < 0 ? 0 : 1 + Math.max(depthOf(tree.left[node]), depthOf(tree.right[node])));
    info = { depth: depthOf(0), expected: computeExpectedValue(tree) };
    infoCache.set(tree, info);
  }
  return info;
}

/** A path buffer for trees up to `depth` deep (levels 0..depth+1, level d holding d+1 elements). */
function pathBuffer(depth: number): PathBuffer {
  let b = buffers[depth];
  if (!b) {
    const size = ((depth + 2) * (depth + 3)) / 2 + 1;
    b = { feature: new Int32Array(size), zero: new Float64Array(size), one: new Float64Array(size), weight: new Float64Array(size) };
    buffers[depth] = b;
  }
  return b;
}

function extendPath(p: PathBuffer, at: number, depth: number, zero: number, one: number, feature: number): void {
  p.feature[at + depth] = feature;
  p.zero[at + depth] = zero;
  p.one[at + depth] = one;
  p.weight[at + depth] = depth === 0 ? 1 : 0;
  const w = p.weight;
  for (let i = depth - 1; i >= 0; i--) {
    w[at + i + 1] += (one * w[at + i] * (i + 1)) / (depth + 1);
    w[at + i] = (zero * w[at + i] * (depth - i)) / (depth + 1);
  }
}

function unwindPath(p: PathBuffer, at: number, depth: number, index: number): void {
  const one = p.one[at + index];
  const zero = p.zero[at + index];
  const w = p.weight;
  let next = w[at + depth];
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = w[at + i];
      w[at + i] = (next * (depth + 1)) / ((i + 1) * one);
      next = tmp - (w[at + i] * zero * (depth - i)) / (depth + 1);
    } else {
      w[at + i] = (w[at + i] * (depth + 1)) / (zero * (depth - i));
    }
  }
  for (let i = index; i < depth; i++) {
    p.feature[at + i] = p.feature[at + i + 1];
    p.zero[at + i] = p.zero[at + i + 1];
    p.one[at + i] = p.one[at + i + 1];
  }
}

/** Sum of the path weights after unwinding element `index`, without modifying the path. */
function unwoundPathSum(p: PathBuffer, at: number, depth: number, index: number): number {
  const one = p.one[at + index];
  const zero = p.zero[at + index];
  const w = p.weight;
  let next = w[at + depth];
  let total = 0;
  if (one !== 0) {
    for (let i = depth - 1; i >= 0; i--) {
      const tmp = next / ((i + 1) * one);
      total += tmp;
      next = w[at + i] - tmp * zero * (depth - i);
    }
  } else {
    for (let i = depth - 1; i >= 0; i--) total += w[at + i] / (zero * (depth - i));
  }
  return total * (depth + 1);
}

/**
 * Adds scale * (TreeSHAP values of row x) into phi, laid out feature-major: phi[feature * outputs + k]
 * (phi must cover every feature the tree splits on). Marks the features it touched in `touched`
 * when given. Returns the tree's expected value per output (the base value, unscaled).
 */
export function addTreeShap(tree: TreeJson, x: ArrayLike<number>, phi: Float64Array, scale = 1, touched?: Uint8Array): number[] {
  const o = tree.outputs;
  const info = treeInfo(tree);
  const p = pathBuffer(info.depth);
  const { feature, threshold, left, right, cover, value } = tree;
  const recurse = (node: number, depth: number, parentAt: number, zero: number, one: number, parentFeature: number): void => {
    const at = parentAt + depth;
    for (let i = 0; i < depth; i++) {
      p.feature[at + i] = p.feature[parentAt + i];
      p.zero[at + i] = p.zero[parentAt + i];
      p.one[at + i] = p.one[parentAt + i];
      p.weight[at + i] = p.weight[parentAt + i];
    }
    extendPath(p, at, depth, zero, one, parentFeature);
    const f = feature[node];
    if (f < 0) {
      for (let i = 1; i <= depth; i++) {
        const s = scale * unwoundPathSum(p, at, depth, i) * (p.one[at + i] - p.zero[at + i]);
        const pf = p.feature[at + i];
        for (let k = 0; k < o; k++) phi[pf * o + k] += s * value[node * o + k];
        if (touched) touched[pf] = 1;
      }
      return;
    }
    const goLeft = x[f] <= threshold[node];
    const hot = goLeft ? left[node] : right[node];
    const cold = goLeft ? right[node] : left[node];
    let incomingZero = 1;
    let incomingOne = 1;
    let d = depth;
    let k = 1;
    while (k <= d && p.feature[at + k] !== f) k++;
    if (k <= d) {
      incomingZero = p.zero[at + k];
      incomingOne = p.one[at + k];
      unwindPath(p, at, d, k);
      d--;
    }
    const c = cover[node];
    recurse(hot, d + 1, at, (cover[hot] / c) * incomingZero, incomingOne, f);
    recurse(cold, d + 1, at, (cover[cold] / c) * incomingZero, 0, f);
  };
  recurse(0, 0, 0, 1, 1, -1);
  return info.expected;
}

export interface TreeShapResult {
  base: number[];
  phi: Map<number, number[]>;
}

/** TreeSHAP values of one tree for a dense row: per feature used, one value per output. */
export function treeShap(tree: TreeJson, x: ArrayLike<number>): TreeShapResult {
  const o = tree.outputs;
  let maxFeature = 0;
  for (const f of tree.feature) if (f > maxFeature) maxFeature = f;
  const dense = new Float64Array((maxFeature + 1) * o);
  const touched = new Uint8Array(maxFeature + 1);
  const base = addTreeShap(tree, x, dense, 1, touched);
  const phi = new Map<number, number[]>();
  touched.forEach((t, f) => {
    if (t) phi.set(f, Array.from(dense.subarray(f * o, f * o + o)));
  });
  return { base: [...base], phi };
}

/** Cover-weighted mean of the leaf values (the tree's expected output). */
export function expectedValue(tree: TreeJson): number[] {
  return [...treeInfo(tree).expected];
}

function computeExpectedValue(tree: TreeJson): number[] {
  const o = tree.outputs;
  const out = new Array<number>(o).fill(0);
  const total = tree.cover[0];
  tree.feature.forEach((f, node) => {
    if (f >= 0) return;
    for (let k = 0; k < o; k++) out[k] += (tree.cover[node] / total) * tree.value[node * o + k];
  });
  return out;
}
