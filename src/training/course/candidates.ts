import type { EnrichedCourse } from '../../features/course/enrich.js';
import { type CourseModel, wrapTrained } from './course-model.js';
import { FeatureSpace } from './feature-space.js';
import { fitKnn } from './knn.js';
import { fitLinearSvm, fitLogisticRegression, fitRidge } from './linear-fit.js';
import { fitNaiveBayes } from './naive-bayes.js';
import { fitForest } from './random-forest.js';
import { type CsrMatrix, denseColumns, maskColumns } from './sparse-matrix.js';
import type { CourseTask, TaskTarget } from './tasks.js';

/**
 * One model family with its hyper-parameters, fitted on a set of training records: the feature
 * space (TF-IDF vocabulary, standardisation) is fitted on those records too, so cross-validation
 * never sees the held-out fold's words.
 */
export type Algorithm = 'logistic-regression' | 'decision-tree' | 'random-forest' | 'linear-svm' | 'knn' | 'naive-bayes' | 'linear-regression';

/** Which columns a model sees: numeric block, TF-IDF block, or both. */
export type FeatureView = 'all' | 'numeric' | 'text';

export interface CandidateParams {
  view?: FeatureView;
  C?: number;
  alpha?: number;
  k?: number;
  weights?: 'uniform' | 'distance';
  metric?: 'euclidean' | 'cosine';
  maxDepth?: number | null;
  minSamplesLeaf?: number;
  trees?: number;
  maxFeatures?: number | 'sqrt';
  /** TF-IDF columns (most frequent terms) offered to tree models. */
  treeTerms?: number;
  [key: string]: unknown;
}

export interface FittedCandidate {
  algorithm: Algorithm;
  params: CandidateParams;
  space: FeatureSpace;
  target: Omit<TaskTarget, 'y'>;
  model: CourseModel;
  /** Column means of the training design matrix (linear SHAP reference). */
  means: Float64Array;
}

export function viewColumns(space: FeatureSpace, view: FeatureView): (c: number) => boolean {
  const n = space.numericCount;
  if (view === 'numeric') return (c) => c < n;
  if (view === 'text') return (c) => c >= n;
  return () => true;
}

export function fitCandidate(task: CourseTask, algorithm: Algorithm, params: CandidateParams, train: readonly EnrichedCourse[], seed: number): FittedCandidate {
  const space = FeatureSpace.fit(train, task.settings(train));
  const target = task.fitTarget(train);
  const y = task.target(train, target);
  const view = params.view ?? 'all';
  const full = space.transform(train);
  const X = view === 'all' ? full : maskColumns(full, viewColumns(space, view));
  const classes = target.labels.length;
  const model = fitModel(task, algorithm, params, space, X, y, classes, seed);
  const means = new Float64Array(X.cols);
  for (let p = 0; p < X.indptr[X.rows]; p++) means[X.indices[p]] += X.values[p] / X.rows;
  return { algorithm, params, space, target, model, means };
}

function fitModel(
  task: CourseTask,
  algorithm: Algorithm,
  p: CandidateParams,
  space: FeatureSpace,
  X: CsrMatrix,
  y: Int32Array | Float64Array,
  classes: number,
  seed: number,
): CourseModel {
  const cls = () => {
    if (task.kind !== 'classification') throw new Error(`${algorithm} is a classifier; task ${task.name} is regression`);
    return y as Int32Array;
  };
  switch (algorithm) {
    case 'logistic-regression':
      return wrapTrained(fitLogisticRegression(X, cls(), classes, p.C ?? 1));
    case 'linear-svm':
      return wrapTrained(fitLinearSvm(X, cls(), classes, p.C ?? 1));
    case 'linear-regression':
      if (task.kind !== 'regression') throw new Error('linear regression needs a regression task');
      return wrapTrained(fitRidge(X, y as Float64Array, p.alpha ?? 1));
    case 'naive-bayes': {
      const view = p.view ?? 'all';
      return wrapTrained(
        fitNaiveBayes(X, cls(), classes, {
          gaussianColumns: view === 'text' ? [] : space.numericColumns,
          multinomialColumns: view === 'numeric' ? [] : space.textColumns,
          alpha: p.alpha ?? 1,
        }),
      );
    }
    case 'knn':
      return wrapTrained(fitKnn(X, cls(), classes, p.k ?? 5, p.weights ?? 'uniform', p.metric ?? 'euclidean'));
    case 'decision-tree':
    case 'random-forest': {
      const view = p.view ?? 'all';
      const ids = [...(view === 'text' ? [] : space.numericColumns), ...(view === 'numeric' ? [] : space.topTextColumns(p.treeTerms ?? 200))];
      const cols = denseColumns(X, ids);
      return wrapTrained(
        fitForest(cols, ids, y, {
          task: task.kind,
          classes: task.kind === 'classification' ? classes : 1,
          trees: algorithm === 'decision-tree' ? 1 : (p.trees ?? 100),
          maxDepth: p.maxDepth ?? undefined,
          minSamplesLeaf: p.minSamplesLeaf ?? 1,
          maxFeatures: algorithm === 'decision-tree' ? 1 : (p.maxFeatures ?? (task.kind === 'classification' ? 'sqrt' : 1)),
          seed,
        }),
      );
    }
  }
}

/** Design matrix of records for a fitted candidate (same view as in training). */
export function designMatrix(c: FittedCandidate, records: readonly EnrichedCourse[]): CsrMatrix {
  const full = c.space.transform(records);
  const view = c.params.view ?? 'all';
  return view === 'all' ? full : maskColumns(full, viewColumns(c.space, view));
}
