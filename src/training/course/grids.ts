import type { Algorithm, CandidateParams } from './candidates.js';
import type { CourseTaskName } from './tasks.js';

/**
 * Hyper-parameter grids of the course models per task (small on purpose: the data has 2,350
 * training rows and the grid is cross-validated). `quick` grids are for tests.
 */
export type Grid = { [K in keyof CandidateParams]?: readonly CandidateParams[K][] };

export const CLASSIFIERS: Algorithm[] = ['logistic-regression', 'decision-tree', 'random-forest', 'linear-svm', 'knn', 'naive-bayes'];
export const REGRESSORS: Algorithm[] = ['linear-regression', 'decision-tree', 'random-forest', 'gradient-boosting', 'oblivious-boosting'];

const FULL: Record<CourseTaskName, Partial<Record<Algorithm, Grid>>> = {
  subject: {
    'logistic-regression': { C: [10, 100] },
    'linear-svm': { C: [0.3, 1, 3] },
    'naive-bayes': { view: ['text'], alpha: [0.05, 0.1, 0.3] },
    knn: { view: ['text'], metric: ['cosine'], k: [10, 25], weights: ['distance'] },
    'decision-tree': { maxDepth: [null], minSamplesLeaf: [1, 3], treeTerms: [600] },
    'random-forest': { trees: [100], maxFeatures: ['sqrt'], minSamplesLeaf: [1], treeTerms: [600] },
  },
  popularity: {
    'logistic-regression': { view: ['numeric', 'all'], C: [0.1, 1] },
    'linear-svm': { view: ['numeric', 'all'], C: [0.01, 0.1] },
    'naive-bayes': { view: ['numeric'], alpha: [1] },
    knn: { view: ['numeric'], metric: ['euclidean'], k: [25, 50], weights: ['uniform', 'distance'] },
    'decision-tree': { view: ['numeric'], maxDepth: [5, 8], minSamplesLeaf: [10, 30] },
    'random-forest': { trees: [150], view: ['numeric', 'all'], treeTerms: [50], maxFeatures: ['sqrt', 0.3], minSamplesLeaf: [5] },
  },
  subscribers: {
    // alpha 3 (CV R² 0.508) beats 10 (0.504); the blend with gradient boosting gains most from it
    'linear-regression': { view: ['numeric', 'all'], alpha: [1, 3, 10, 30, 100] },
    'decision-tree': { view: ['numeric'], maxDepth: [6, 10], minSamplesLeaf: [10, 30] },
    'random-forest': { trees: [150], view: ['numeric', 'all'], treeTerms: [50], maxFeatures: [0.33], minSamplesLeaf: [3, 10] },
    // maxFeatures 0.33 and depth 6 beat the sklearn-default shape (all features, depth 3-4) by ~0.02 CV R²
    'gradient-boosting': {
      rounds: [200, 400],
      learningRate: [0.02],
      view: ['numeric', 'all'],
      treeTerms: [200],
      maxDepth: [4, 6],
      minSamplesLeaf: [10, 20],
      subsample: [0.8],
      maxFeatures: [0.33],
    },
    // oblivious (symmetric) trees: exact TreeSHAP is one table row per tree (fast-tree-shap.ts), so this
    // family fits the stream's explanation budget. CV R² on the training part: min 3 per leaf beat 20
    // (0.520 vs 0.518), 70% of the features per level with l2 2 beat 50% with l2 5 (0.524 vs 0.520),
    // 400 rounds at 0.025 did not beat 200 at 0.05, depth 5 and 7 were worse than 6
    'oblivious-boosting': {
      rounds: [200],
      learningRate: [0.05],
      view: ['all'],
      treeTerms: [200],
      maxDepth: [6],
      minSamplesLeaf: [3],
      l2: [2, 5],
      subsample: [0.8],
      maxFeatures: [0.5, 0.7],
    },
  },
};

const QUICK: Record<CourseTaskName, Partial<Record<Algorithm, Grid>>> = {
  subject: {
    'logistic-regression': { C: [10] },
    'linear-svm': { C: [1] },
    'naive-bayes': { view: ['text'], alpha: [0.1] },
    knn: { view: ['text'], metric: ['cosine'], k: [10], weights: ['distance'] },
    'decision-tree': { maxDepth: [20], treeTerms: [200] },
    'random-forest': { trees: [10], treeTerms: [200] },
  },
  popularity: {
    'logistic-regression': { view: ['numeric'], C: [1] },
    'linear-svm': { view: ['numeric'], C: [0.1] },
    'naive-bayes': { view: ['numeric'] },
    knn: { view: ['numeric'], k: [15] },
    'decision-tree': { view: ['numeric'], maxDepth: [5], minSamplesLeaf: [10] },
    'random-forest': { trees: [10], view: ['numeric'], minSamplesLeaf: [5] },
  },
  subscribers: {
    'linear-regression': { view: ['numeric'], alpha: [10] },
    'decision-tree': { view: ['numeric'], maxDepth: [6], minSamplesLeaf: [10] },
    'random-forest': { trees: [10], view: ['numeric'], maxFeatures: [0.5], minSamplesLeaf: [5] },
    'gradient-boosting': { rounds: [30], learningRate: [0.1], view: ['numeric'], maxDepth: [3], minSamplesLeaf: [10], subsample: [0.8] },
    'oblivious-boosting': { rounds: [30], learningRate: [0.1], view: ['numeric'], maxDepth: [4], minSamplesLeaf: [10], l2: [3], subsample: [0.8] },
  },
};

export function gridFor(task: CourseTaskName, algorithm: Algorithm, quick = false): Grid {
  const g = (quick ? QUICK : FULL)[task][algorithm];
  if (!g) throw new Error(`no grid for ${algorithm} on task ${task}`);
  return g;
}
