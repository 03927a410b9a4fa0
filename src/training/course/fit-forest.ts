import { SeededRandom } from '../../core/random.js';
import { DecisionTree } from '../../inference/course/decision-tree.js';
import { TreeEnsemble } from '../../inference/course/random-forest.js';
import { binColumns, fitDecisionTree } from './fit-decision-tree.js';

/** Fitting random forests and single trees by bootstrap and random feature subsets (the served ensemble is src/inference/course/random-forest.ts). */
export interface ForestFitOptions {
  task: 'classification' | 'regression';
  classes: number;
  trees: number;
  maxDepth?: number;
  minSamplesLeaf?: number;
  /** Fraction of candidate features per split (1 = all; sqrt if 'sqrt'). */
  maxFeatures?: number | 'sqrt';
  bootstrap?: boolean;
  seed?: number;
}

export function fitForest(
  columns: readonly Float64Array[],
  featureIds: readonly number[],
  y: Int32Array | Float64Array,
  o: ForestFitOptions,
): TreeEnsemble {
  const n = y.length;
  const rng = new SeededRandom(o.seed ?? 0);
  const p = columns.length;
  const maxFeatures = o.maxFeatures === 'sqrt' ? Math.max(1, Math.round(Math.sqrt(p))) : Math.max(1, Math.round((o.maxFeatures ?? 1) * p));
  const binned = binColumns(columns, featureIds);
  const trees: DecisionTree[] = [];
  const bootstrap = o.bootstrap ?? o.trees > 1;
  for (let t = 0; t < o.trees; t++) {
    const samples = new Int32Array(n);
    for (let i = 0; i < n; i++) samples[i] = bootstrap ? rng.int(n) : i;
    trees.push(
      fitDecisionTree(binned, y, samples, {
        task: o.task,
        classes: o.classes,
        maxDepth: o.maxDepth,
        minSamplesLeaf: o.minSamplesLeaf,
        maxFeatures,
        rng,
      }),
    );
  }
  return new TreeEnsemble({
    type: 'forest',
    algorithm: o.trees > 1 ? 'random-forest' : 'decision-tree',
    task: o.task,
    classes: o.classes,
    trees: trees.map((t) => t.t),
  });
}
