import type { TreeJson } from './decision-tree.js';

/**
 * Exact TreeSHAP (Lundberg et al. 2018, Algorithm 2, path-dependent): Shapley values of a tree's
 * output for one dense row, with the expectation over missing features taken along the tree by
 * the training covers. phi sums with the base value (the cover-weighted mean output) to the
 * tree's prediction. Returns, per feature used, one value per output.
 */
interface PathElement {
  feature: number;
  zero: number;
  one: number;
  weight: number;
}

function extend(path: PathElement[], zero: number, one: number, feature: number): void {
  const l = path.length;
  path.push({ feature, zero, one, weight: l === 0 ? 1 : 0 });
  for (let i = l - 1; i >= 0; i--) {
    path[i + 1].weight += (one * path[i].weight * (i + 1)) / (l + 1);
    path[i].weight = (zero * path[i].weight * (l - i)) / (l + 1);
  }
}

function unwind(path: PathElement[], index: number): void {
  const l = path.length - 1;
  const { one, zero } = path[index];
  let next = path[l].weight;
  for (let j = l - 1; j >= 0; j--) {
    if (one !== 0) {
      const tmp = path[j].weight;
      path[j].weight = (next * (l + 1)) / ((j + 1) * one);
      next = tmp - (path[j].weight * zero * (l - j)) / (l + 1);
    } else {
      path[j].weight = (path[j].weight * (l + 1)) / (zero * (l - j));
    }
  }
  for (let j = index; j < l; j++) {
    path[j].feature = path[j + 1].feature;
    path[j].zero = path[j + 1].zero;
    path[j].one = path[j + 1].one;
  }
  path.pop();
}

function unwoundSum(path: PathElement[], index: number): number {
  const copy = path.map((e) => ({ ...e }));
  unwind(copy, index);
  let s = 0;
  for (const e of copy) s += e.weight;
  return s;
}

export interface TreeShapResult {
  base: number[];
  phi: Map<number, number[]>;
}

export function treeShap(tree: TreeJson, x: ArrayLike<number>): TreeShapResult {
  const o = tree.outputs;
  const phi = new Map<number, number[]>();
  const add = (f: number, scale: number, leaf: number) => {
    let v = phi.get(f);
    if (!v) {
      v = new Array<number>(o).fill(0);
      phi.set(f, v);
    }
    for (let k = 0; k < o; k++) v[k] += scale * tree.value[leaf * o + k];
  };
  const recurse = (node: number, parentPath: PathElement[], zero: number, one: number, feature: number): void => {
    const path = parentPath.map((e) => ({ ...e }));
    extend(path, zero, one, feature);
    const f = tree.feature[node];
    if (f < 0) {
      for (let i = 1; i < path.length; i++) add(path[i].feature, unwoundSum(path, i) * (path[i].one - path[i].zero), node);
      return;
    }
    const goLeft = x[f] <= tree.threshold[node];
    const hot = goLeft ? tree.left[node] : tree.right[node];
    const cold = goLeft ? tree.right[node] : tree.left[node];
    let iz = 1;
    let io = 1;
    const k = path.findIndex((e, i) => i > 0 && e.feature === f);
    if (k > 0) {
      iz = path[k].zero;
      io = path[k].one;
      unwind(path, k);
    }
    const cover = tree.cover[node];
    recurse(hot, path, (iz * tree.cover[hot]) / cover, io, f);
    recurse(cold, path, (iz * tree.cover[cold]) / cover, 0, f);
  };
  recurse(0, [], 1, 1, -1);
  return { base: expectedValue(tree), phi };
}

/** Cover-weighted mean of the leaf values (the tree's expected output). */
export function expectedValue(tree: TreeJson): number[] {
  const o = tree.outputs;
  const out = new Array<number>(o).fill(0);
  const total = tree.cover[0];
  tree.feature.forEach((f, node) => {
    if (f >= 0) return;
    for (let k = 0; k < o; k++) out[k] += (tree.cover[node] / total) * tree.value[node * o + k];
  });
  return out;
}
