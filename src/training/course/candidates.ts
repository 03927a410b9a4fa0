import type { EnrichedCourse } from '../../features/course/enrich.js';
import { type CourseModel, type ScoreLinkJson, wrapTrained } from '../../inference/course/course-model.js';
import { FeatureSpace } from '../../features/course/feature-space.js';
import { fitKnn } from './fit-knn.js';
import { fitLinearSvm, fitLogisticRegression, fitRidge } from './linear-fit.js';
import { fitNaiveBayes } from './fit-naive-bayes.js';
import { fitGradientBoosting } from './gradient-boosting.js';
import { fitObliviousBoosting } from './oblivious-boosting.js';
import { fitForest } from './fit-forest.js';
import type { BlendJson } from './blend.js';
import { type CsrMatrix, denseColumns, maskColumns, selectRows } from '../../features/course/sparse-matrix.js';
import { type CourseTask, type TaskTarget, subscribersTask } from './tasks.js';
import { SeededRandom } from '../../core/random.js';

/**
 * One model family with its hyper-parameters, fitted on a set of training records: the feature
 * space (TF-IDF vocabulary, standardisation) is fitted on those records too, so cross-validation
 * never sees the held-out fold's words.
 */
export type { Algorithm, BlendMember, CandidateParams, FeatureView } from '../../inference/course/candidate-params.js';
import type { Algorithm, CandidateParams, FeatureView } from '../../inference/course/candidate-params.js';

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
  const model = algorithm === 'subscriber-score' ? fitSubscriberScore(task, params, space, X, train, y as Int32Array, seed) : fitModel(task, algorithm, params, space, X, y, classes, seed);
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
    case 'subscriber-score':
      throw new Error('subscriber score needs the training records (fitCandidate)');
    case 'blend': {
      // w * first member + (1 - w) * second, both fitted on the same rows and design matrix
      const members = p.members ?? [];
      const w = p.weight;
      if (task.kind !== 'regression') throw new Error(`a blend is implemented for regression; task ${task.name} is ${task.kind}`);
      if (members.length !== 2) throw new Error(`a blend needs 2 members, got ${members.length}`);
      if (w === undefined || !(w >= 0 && w <= 1)) throw new Error(`blend: weight must be in [0, 1], got ${w}`);
      const view = p.view ?? 'all';
      const json: BlendJson = {
        type: 'blend',
        algorithm: 'blend',
        members: members.map((m, k) => {
          if (m.algorithm === 'blend') throw new Error('blend: members cannot be blends');
          if ((m.params.view ?? 'all') !== view) throw new Error(`blend: member ${m.algorithm} has view ${m.params.view ?? 'all'}, the blend ${view}`);
          const model = fitModel(task, m.algorithm, m.params, space, X, y, classes, seed).toJSON();
          if (model.type !== 'linear' && model.type !== 'forest') throw new Error(`blend: ${m.algorithm} has no exact SHAP values`);
          return { weight: k === 0 ? w : 1 - w, model };
        }),
      };
      return wrapTrained({ toJSON: () => json });
    }
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
    case 'gradient-boosting': {
      if (task.kind !== 'regression') throw new Error(`gradient boosting is implemented for regression (squared loss); task ${task.name} is ${task.kind}`);
      const ids = treeColumns(space, p);
      if (p.maxFeatures === 'sqrt') throw new Error('gradient boosting: maxFeatures must be a fraction in (0, 1]');
      return wrapTrained(
        fitGradientBoosting(denseColumns(X, ids), ids, y as Float64Array, {
          rounds: p.rounds ?? 100,
          learningRate: p.learningRate ?? 0.1,
          maxDepth: p.maxDepth ?? 3,
          minSamplesLeaf: p.minSamplesLeaf ?? 1,
          subsample: p.subsample ?? 1,
          maxFeatures: p.maxFeatures ?? 1,
          seed,
        }),
      );
    }
    case 'oblivious-boosting': {
      if (task.kind !== 'regression') throw new Error(`oblivious boosting is implemented for regression (squared loss); task ${task.name} is ${task.kind}`);
      const ids = treeColumns(space, p);
      if (p.maxFeatures === 'sqrt') throw new Error('oblivious boosting: maxFeatures must be a fraction in (0, 1]');
      return wrapTrained(
        fitObliviousBoosting(denseColumns(X, ids), ids, y as Float64Array, {
          rounds: p.rounds ?? 100,
          learningRate: p.learningRate ?? 0.1,
          depth: p.maxDepth ?? 6,
          minSamplesLeaf: p.minSamplesLeaf ?? 1,
          l2: p.l2 ?? 1,
          subsample: p.subsample ?? 1,
          maxFeatures: p.maxFeatures ?? 1,
          seed,
        }),
      );
    }
    case 'decision-tree':
    case 'random-forest': {
      const ids = treeColumns(space, p);
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

/**
 * Popularity from the subscriber regression (stacking): fits params.base on log1p(num_subscribers)
 * of the same rows and design matrix, then P(popular) = sigmoid(slope * prediction + intercept) with
 * slope and intercept fitted (logistic regression on one feature) to out-of-fold predictions of the
 * base on these rows (5 folds), so the calibration never sees a prediction of a row's own model.
 */
function fitSubscriberScore(task: CourseTask, p: CandidateParams, space: FeatureSpace, X: CsrMatrix, train: readonly EnrichedCourse[], y: Int32Array, seed: number): CourseModel {
  if (task.kind !== 'classification' || task.name !== 'popularity') throw new Error(`subscriber score is a popularity model, not ${task.name}`);
  const base = p.base;
  if (!base) throw new Error('subscriber score: params.base (the subscriber regression) is missing');
  if ((base.params.view ?? 'all') !== (p.view ?? 'all')) throw new Error(`subscriber score: base view ${base.params.view ?? 'all'}, candidate view ${p.view ?? 'all'}`);
  const regression = subscribersTask(task.includeReviews);
  const ys = regression.target(train, regression.fitTarget(train)) as Float64Array;
  const inner = fitModel(regression, base.algorithm, base.params, space, X, ys, 1, seed);
  // out-of-fold predictions of the base on these rows
  const n = X.rows;
  const order = Array.from({ length: n }, (_, i) => i);
  const rng = new SeededRandom(seed + 7);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const oof = new Float64Array(n);
  const K = 5;
  for (let f = 0; f < K; f++) {
    const test = order.filter((_, i) => i % K === f);
    const fit = order.filter((_, i) => i % K !== f);
    const m = fitModel(regression, base.algorithm, base.params, space, selectRows(X, fit), Float64Array.from(fit, (i) => ys[i]), 1, seed + 1 + f);
    const pred = m.predict(selectRows(X, test));
    test.forEach((i, k) => (oof[i] = pred[k]));
  }
  const { slope, intercept } = fitLogistic1d(oof, y);
  const json: ScoreLinkJson = { type: 'score-link', algorithm: 'subscriber-score', slope, intercept, model: inner.toJSON() as ScoreLinkJson['model'] };
  return wrapTrained({ toJSON: () => json });
}

/** Maximum-likelihood logistic regression on one feature (Newton's method with step halving). */
export function fitLogistic1d(x: ArrayLike<number>, y: ArrayLike<number>): { slope: number; intercept: number } {
  let a = 0;
  let b = 0;
  const loss = (a: number, b: number): number => {
    let l = 0;
    for (let i = 0; i < x.length; i++) {
      const z = a * x[i] + b;
      l += Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - y[i] * z;
    }
    return l;
  };
  let current = loss(a, b);
  for (let it = 0; it < 100; it++) {
    let ga = 0;
    let gb = 0;
    let haa = 0;
    let hab = 0;
    let hbb = 0;
    for (let i = 0; i < x.length; i++) {
      const p = 1 / (1 + Math.exp(-(a * x[i] + b)));
      const r = p - y[i];
      const w = p * (1 - p);
      ga += r * x[i];
      gb += r;
      haa += w * x[i] * x[i];
      hab += w * x[i];
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    let da = (hbb * ga - hab * gb) / det;
    let db = (haa * gb - hab * ga) / det;
    let step = 1;
    let next = loss(a - da, b - db);
    while (next > current && step > 1e-6) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    da *= step;
    db *= step;
    a -= da;
    b -= db;
    const done = Math.abs(current - next) < 1e-12 * Math.max(1, current);
    current = next;
    if (done) break;
  }
  return { slope: a, intercept: b };
}

/** Columns offered to tree models: the numeric block and/or the `treeTerms` most frequent title terms. */
function treeColumns(space: FeatureSpace, p: CandidateParams): number[] {
  const view = p.view ?? 'all';
  return [...(view === 'text' ? [] : space.numericColumns), ...(view === 'numeric' ? [] : space.topTextColumns(p.treeTerms ?? 200))];
}

/** Design matrix of records for a fitted candidate (same view as in training). */
export function designMatrix(c: FittedCandidate, records: readonly EnrichedCourse[]): CsrMatrix {
  const full = c.space.transform(records);
  const view = c.params.view ?? 'all';
  return view === 'all' ? full : maskColumns(full, viewColumns(c.space, view));
}
