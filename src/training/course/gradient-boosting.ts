import { SeededRandom } from '../../core/random.js';
import { type DecisionTree } from '../../inference/course/decision-tree.js';
import { binColumns, fitDecisionTree } from './fit-decision-tree.js';
import { TreeEnsemble } from '../../inference/course/random-forest.js';
import { checkBoostingInputs, sampleRowsInPlace, targetMean } from './boosting-inputs.js';

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
  const { n, subsample, featureFraction } = checkBoostingInputs('gradient boosting', columns, featureIds, y, o);

  const rng = new SeededRandom(o.seed ?? 0);
  const binned = binColumns(columns, featureIds);
  const maxFeatures = Math.max(1, Math.round(featureFraction * columns.length));
  const columnOf = new Map(featureIds.map((f, j) => [f, j]));

  const mean = targetMean(y);
  const prediction = new Float64Array(n).fill(mean);
  const residual = new Float64Array(n);
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const take = Math.max(1, Math.round(subsample * n));
  const trees: DecisionTree[] = [];

  for (let round = 0; round < o.rounds; round++) {
    for (let i = 0; i < n; i++) residual[i] = y[i] - prediction[i];
    if (take < n) sampleRowsInPlace(rows, take, rng);
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
