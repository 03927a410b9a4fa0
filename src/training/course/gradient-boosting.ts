import { SeededRandom } from '../../core/random.js';
import { type DecisionTree } from '../../inference/course/decision-tree.js';
import { binColumns, fitDecisionTree } from './fit-decision-tree.js';
import { TreeEnsemble } from '../../inference/course/random-forest.js';

/**
 * Gradient-boosted regression trees with squared loss (Friedman 2001, stochastic variant 2002),
 * as scikit-learn's GradientBoostingRegressor: the prediction starts at the training mean; each
 * round fits a CART regression tree to the current residuals on a random subsample of the rows
 * (without replacement) and adds it times the learning rate. With squared loss the tree's leaf
 * means are already the optimal step, so no leaf re-fitting is needed. The result is a
 * TreeEnsemble with offset = mean and scale = learning rate (TreeSHAP works unchanged).
 */
export interface BoostingFitOptions {
  /** Boosting rounds (trees). */
  rounds: number;
  /** Shrinkage on every tree, in (0, 1]. */
  learningRate: number;
  maxDepth?: number;
  minSamplesLeaf?: number;
  /** Fraction of the rows each round's tree is fitted on, in (0, 1]; default 1. */
  subsample?: number;
  /** Fraction of the features offered at each split, in (0, 1]; default 1 (all). */
  maxFeatures?: number;
  seed?: number;
}

export function fitGradientBoosting(columns: readonly Float64Array[], featureIds: readonly number[], y: Float64Array, o: BoostingFitOptions): TreeEnsemble {
  const n = y.length;
  if (n === 0) throw new Error('gradient boosting: no training rows');
  if (columns.length !== featureIds.length) throw new Error(`gradient boosting: ${columns.length} columns but ${featureIds.length} feature ids`);
  if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new Error(`gradient boosting: rounds must be a positive integer, got ${o.rounds}`);
  if (!(o.learningRate > 0 && o.learningRate <= 1)) throw new Error(`gradient boosting: learningRate must be in (0, 1], got ${o.learningRate}`);
  const subsample = o.subsample ?? 1;
  if (!(subsample > 0 && subsample <= 1)) throw new Error(`gradient boosting: subsample must be in (0, 1], got ${subsample}`);
  const featureFraction = o.maxFeatures ?? 1;
  if (!(featureFraction > 0 && featureFraction <= 1)) throw new Error(`gradient boosting: maxFeatures must be in (0, 1], got ${featureFraction}`);
  for (const c of columns) if (c.length !== n) throw new Error(`gradient boosting: a column has ${c.length} rows, the target ${n}`);

  const rng = new SeededRandom(o.seed ?? 0);
  const binned = binColumns(columns, featureIds);
  const maxFeatures = Math.max(1, Math.round(featureFraction * columns.length));
  const columnOf = new Map(featureIds.map((f, j) => [f, j]));

  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean /= n;
  const prediction = new Float64Array(n).fill(mean);
  const residual = new Float64Array(n);
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const take = Math.max(1, Math.round(subsample * n));
  const trees: DecisionTree[] = [];

  for (let round = 0; round < o.rounds; round++) {
    for (let i = 0; i < n; i++) residual[i] = y[i] - prediction[i];
    if (take < n) {
      // partial Fisher-Yates: the first `take` entries become a uniform sample without replacement
      for (let i = 0; i < take; i++) {
        const j = i + rng.int(n - i);
        const tmp = rows[i];
        rows[i] = rows[j];
        rows[j] = tmp;
      }
    }
    const tree = fitDecisionTree(binned, residual, rows.subarray(0, take), {
      task: 'regression',
      classes: 1,
      maxDepth: o.maxDepth,
      minSamplesLeaf: o.minSamplesLeaf,
      maxFeatures,
      rng,
    });
    trees.push(tree);
    const { feature, threshold, left, right, value } = tree.t;
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
    trees: trees.map((t) => t.t),
    offset: [mean],
    scale: o.learningRate,
  });
}
