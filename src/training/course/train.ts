import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { gridSearch, stratifiedKFold } from '../../analysis/validation.js';
import type { EnrichedCourse } from '../../features/course/enrich.js';
import { type ModelVersion, publishVersion, sha256File } from '../../models/model-repository.js';
import { writeReference } from '../../monitoring/shipped.js';
import { type Algorithm, type CandidateParams, type FittedCandidate, designMatrix, fitCandidate } from './candidates.js';
import { type CourseBundleJson, COURSE_BUNDLE_FORMAT, type ShippedTaskJson } from '../../inference/course/bundle.js';
import { type CourseDataset, loadCourseDataset } from '../../features/course/course-dataset.js';
import { type ClassificationMetrics, type RegressionMetrics, metricsOf, predictRecords, selectionScore } from './evaluate.js';
import { CLASSIFIERS, REGRESSORS, gridFor } from './grids.js';
import { type BlendWeightChoice, chooseBlendWeight } from './blend.js';
import { type Importance, permutationImportance } from './permutation-importance.js';
import { type CourseSplit, courseSplit, writeCourseSplit } from '../../features/course/course-split.js';
import { type CourseTask, popularityTask, subjectTask, subscribersTask } from './tasks.js';
import { r2Score } from '../../analysis/regression.js';
import { rocAucBinary } from '../../analysis/curves.js';
import { accuracy } from '../../analysis/classification.js';
import { argmax } from './evaluate.js';
import type { CourseModelJson } from '../../inference/course/course-model.js';
import { SIGNATURE_MAX_SPLITS } from '../../inference/course/fast-tree-shap.js';
import { type CandidateClassification, candidateClassification } from './candidate-classification.js';

/**
 * Trains and compares the course models: for each task (subject; popularity and subscribers,
 * each with and without num_reviews) and each model family, a grid search scored by stratified
 * k-fold cross-validation on the training part (analysis toolkit), a refit on the whole training
 * part, one score on the held-out test part, and permutation importances. The family with the
 * best cross-validated score per task (without num_reviews: it leaks popularity) is shipped as
 * models/course/<version> (format 'json'). The regression tasks also get a blend of the
 * cross-validated gradient boosting and ridge, its weight chosen on their out-of-fold predictions
 * on the training part (blend.ts); it competes for shipping by its CV score like any family.
 */
export interface TrainCourseOptions {
  /** CSV path; default the shared Udemy CSV. */
  data?: string;
  /** Model repository root; default models/. */
  modelsRoot?: string;
  seed?: number;
  folds?: number;
  testSize?: number;
  /** ISO date course age is measured against; default the day after the latest publication. */
  referenceDate?: string;
  /** Small grids and forests (tests). */
  quick?: boolean;
  /** Where to write the split for the scikit-learn reference (bench/course-split.json). */
  splitFile?: string;
  /** Only these families (default all). */
  algorithms?: Algorithm[];
  /** Largest model.json accepted for shipping, bytes (default 2.8 MB in all). */
  maxBundleBytes?: number;
  /**
   * Largest explanation cost of a shipped model, in table operations per record (explanationCost);
   * default 8,000, which keeps exact explanations at stream speed (the 400 depth-6 depthwise trees
   * of models/course/3 cost ~46,000).
   */
  maxExplanationCost?: number;
  log?: (message: string) => void;
}

export interface CandidateResult {
  task: CourseTask['name'];
  includeReviews: boolean;
  algorithm: Algorithm;
  params: CandidateParams;
  cvMetric: string;
  cvScore: number;
  cvStd: number;
  test: ClassificationMetrics | RegressionMetrics;
  /** Classifiers: per-class and macro precision / recall and the confusion matrix on the test part. */
  classification?: CandidateClassification;
  importance: Importance[];
  modelBytes: number;
  /** Table operations per record of the model's exact explanations (explanationCost). */
  explanationCost: number;
  seconds: number;
}

export interface TrainCourseResult {
  version: ModelVersion;
  results: CandidateResult[];
  shipped: Record<'subject' | 'popularity' | 'subscribers', CandidateResult>;
  split: CourseSplit;
  dataset: { rows: number; rejected: number; duplicates: number; referenceDate: string };
}

/**
 * Cost of a model's exact explanations in table operations per record, from its structure (the
 * layouts of fast-tree-shap.ts): a signature tree costs its distinct splits plus its distinct
 * features, a path tree its internal nodes plus the unique features of every leaf's path; linear
 * models and the other families cost nothing here (their terms come from the row's non-zeros).
 */
export function explanationCost(model: CourseModelJson): number {
  if (model.type === 'blend') return model.members.reduce((a, m) => a + explanationCost(m.model), 0);
  if (model.type === 'score-link') return explanationCost(model.model);
  if (model.type !== 'forest') return 0;
  let cost = 0;
  for (const t of model.trees) {
    const splits = new Set<string>();
    const features = new Set<number>();
    t.feature.forEach((f, n) => {
      if (f < 0) return;
      splits.add(`${f}:${t.threshold[n]}`);
      features.add(f);
    });
    if (splits.size <= SIGNATURE_MAX_SPLITS) {
      cost += splits.size + features.size;
      continue;
    }
    const walk = (n: number, path: number[]): void => {
      if (t.feature[n] < 0) {
        cost += new Set(path).size;
        return;
      }
      cost++;
      walk(t.left[n], [...path, t.feature[n]]);
      walk(t.right[n], [...path, t.feature[n]]);
    };
    walk(0, []);
  }
  return cost;
}

export function courseTasks(): CourseTask[] {
  return [subjectTask, popularityTask(false), popularityTask(true), subscribersTask(false), subscribersTask(true)];
}

function stratifyLabels(task: CourseTask, records: readonly EnrichedCourse[]): string[] {
  if (task.name === 'popularity') {
    const t = task.fitTarget(records);
    return Array.from(task.target(records, t), String);
  }
  return records.map((r) => r.subject ?? '');
}

/** The stratified k folds of `train` that every cross-validation here uses (fold f's fit uses seed + f). */
export function cvSplits(task: CourseTask, train: readonly EnrichedCourse[], folds: number, seed: number): { train: number[]; test: number[] }[] {
  return stratifiedKFold(stratifyLabels(task, train), folds, { shuffle: true, seed }).map((s) => ({ train: Array.from(s.train), test: Array.from(s.test) }));
}

/**
 * Out-of-fold predictions of a regression family on `train`: row i is predicted by the model fitted
 * on the other folds (the same folds and seeds as crossValidate, so their fold R² are its scores).
 */
export function outOfFoldPredictions(task: CourseTask, algorithm: Algorithm, params: CandidateParams, train: readonly EnrichedCourse[], folds: number, seed: number): Float64Array {
  if (task.kind !== 'regression') throw new Error(`out-of-fold predictions are for regression; task ${task.name} is ${task.kind}`);
  const out = new Float64Array(train.length);
  cvSplits(task, train, folds, seed).forEach((s, f) => {
    const c = fitCandidate(task, algorithm, params, s.train.map((i) => train[i]), seed + f);
    const p = c.model.predict(designMatrix(c, s.test.map((i) => train[i])));
    s.test.forEach((i, k) => (out[i] = p[k]));
  });
  return out;
}

/**
 * The blend of two cross-validated regression families (first: weight w, second: 1 - w), with w
 * chosen on their out-of-fold predictions on `train` (blend.ts). Null when the two use different
 * views (a blend's members share one design matrix).
 */
export function blendParams(
  task: CourseTask,
  first: { algorithm: Algorithm; params: CandidateParams },
  second: { algorithm: Algorithm; params: CandidateParams },
  train: readonly EnrichedCourse[],
  folds: number,
  seed: number,
): { params: CandidateParams; choice: BlendWeightChoice } | null {
  const view = first.params.view ?? 'all';
  if ((second.params.view ?? 'all') !== view) return null;
  const a = outOfFoldPredictions(task, first.algorithm, first.params, train, folds, seed);
  const b = outOfFoldPredictions(task, second.algorithm, second.params, train, folds, seed);
  const y = task.target(train, task.fitTarget(train));
  const choice = chooseBlendWeight(a, b, y, cvSplits(task, train, folds, seed).map((s) => s.test));
  return { params: { view, weight: choice.weight, members: [first, second].map((m) => ({ algorithm: m.algorithm, params: m.params })) }, choice };
}

/** Mean and std of the selection metric over stratified k folds of `train`. */
export function crossValidate(task: CourseTask, algorithm: Algorithm, params: CandidateParams, train: readonly EnrichedCourse[], folds: number, seed: number): { mean: number; std: number } {
  const splits = cvSplits(task, train, folds, seed);
  const scores = splits.map((s, f) => {
    const tr = s.train.map((i) => train[i]);
    const te = s.test.map((i) => train[i]);
    const c = fitCandidate(task, algorithm, params, tr, seed + f);
    return selectionScore(task, metricsOf(task, predictRecords(task, c, te)));
  });
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const std = Math.sqrt(scores.reduce((a, s) => a + (s - mean) ** 2, 0) / Math.max(1, scores.length - 1));
  return { mean, std };
}

/** Permutation importance on the test part: each numeric column, and the title words as one group. */
export function courseImportance(task: CourseTask, c: FittedCandidate, test: readonly EnrichedCourse[], seed: number, repeats = 5): Importance[] {
  const X = designMatrix(c, test);
  const y = Array.from(task.target(test, c.target));
  const score = (M: typeof X): number => {
    if (task.kind === 'regression') return r2Score(y, Array.from(c.model.predict(M)));
    const s = c.model.scores(M);
    if (task.selectionMetric === 'auc') return rocAucBinary(y, s.map((v) => v[1]), 1);
    return accuracy(y, s.map(argmax));
  };
  const view = c.params.view ?? 'all';
  const groups = [
    ...(view === 'text' ? [] : c.space.numericColumns.map((i) => ({ name: c.space.columns[i], columns: [i] }))),
    ...(view === 'numeric' || c.space.textColumns.length === 0 ? [] : [{ name: 'title words (TF-IDF)', columns: c.space.textColumns }]),
  ];
  return permutationImportance(X, groups, score, { repeats, seed });
}

export function shippedTask(task: CourseTask, c: FittedCandidate): ShippedTaskJson {
  return {
    task: task.name,
    includeReviews: task.includeReviews,
    kind: task.kind,
    algorithm: c.algorithm,
    params: c.params,
    view: c.params.view ?? 'all',
    labels: c.target.labels,
    ...(c.target.threshold !== undefined ? { threshold: c.target.threshold } : {}),
    ...(task.name === 'subscribers' ? { target: 'log1p' as const } : {}),
    featureSpace: c.space.json,
    means: Array.from(c.means, (v) => (v === 0 ? 0 : Number(v.toPrecision(6)))),
    model: c.model.toJSON(),
  };
}

export async function trainCourseModels(options: TrainCourseOptions = {}): Promise<TrainCourseResult> {
  const log = options.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const seed = options.seed ?? 42;
  const folds = options.folds ?? 5;
  const ds: CourseDataset = loadCourseDataset(options.data, { referenceDate: options.referenceDate });
  const split = courseSplit(ds, seed, options.testSize ?? 0.2);
  if (options.splitFile) {
    mkdirSync(dirname(options.splitFile), { recursive: true });
    writeCourseSplit(options.splitFile, ds, split);
  }
  const train = split.train.map((i) => ds.records[i]);
  const test = split.test.map((i) => ds.records[i]);
  log(`course data: ${ds.records.length} records (${ds.rejected.length} rejected, ${ds.duplicates.length} duplicates), train ${train.length}, test ${test.length}, reference date ${ds.referenceDate}`);

  const results: CandidateResult[] = [];
  const fitted = new Map<CandidateResult, FittedCandidate>();
  const recordFor = (task: CourseTask, algorithm: Algorithm, best: CandidateParams, cvScore: number, cvStd: number, started: number): void => {
    const c = fitCandidate(task, algorithm, best, train, seed);
    const testPredictions = predictRecords(task, c, test);
    const testMetrics = metricsOf(task, testPredictions);
    const importance = courseImportance(task, c, test, seed, options.quick ? 2 : 5);
    const r: CandidateResult = {
      task: task.name,
      includeReviews: task.includeReviews,
      algorithm,
      params: best,
      cvMetric: task.selectionMetric,
      cvScore,
      cvStd,
      test: testMetrics,
      ...(task.kind === 'classification' ? { classification: candidateClassification(c.target.labels, testPredictions, c.target.threshold) } : {}),
      importance,
      modelBytes: JSON.stringify(c.model.toJSON()).length,
      explanationCost: explanationCost(c.model.toJSON()),
      seconds: (performance.now() - started) / 1000,
    };
    results.push(r);
    fitted.set(r, c);
    log(`${task.name}${task.includeReviews ? '+reviews' : ''} ${algorithm} ${JSON.stringify(best)} cv ${task.selectionMetric}=${r.cvScore.toFixed(4)} test ${JSON.stringify(testMetrics)} (${r.seconds.toFixed(1)} s)`);
  };
  for (const task of courseTasks()) {
    const families = (task.kind === 'classification' ? CLASSIFIERS : REGRESSORS).filter((a) => !options.algorithms || options.algorithms.includes(a));
    const record = (algorithm: Algorithm, best: CandidateParams, cvScore: number, cvStd: number, started: number): void => recordFor(task, algorithm, best, cvScore, cvStd, started);
    for (const algorithm of families) {
      const started = performance.now();
      const cvStds = new Map<string, number>();
      const search = await gridSearch<CandidateParams>(gridFor(task.name, algorithm, options.quick) as never, (params) => {
        const cv = crossValidate(task, algorithm, params, train, folds, seed);
        cvStds.set(JSON.stringify(params), cv.std);
        return cv.mean;
      });
      record(algorithm, search.best.params, search.best.score, cvStds.get(JSON.stringify(search.best.params)) ?? 0, started);
    }
    // regression: blend each cross-validated tree booster with ridge, weight from out-of-fold predictions
    const bestOf = (a: Algorithm) => results.find((r) => r.task === task.name && r.includeReviews === task.includeReviews && r.algorithm === a);
    const ridge = bestOf('linear-regression');
    for (const booster of ['gradient-boosting', 'oblivious-boosting'] as const) {
      const gbm = bestOf(booster);
      if (task.kind !== 'regression' || !gbm || !ridge || (options.algorithms && !options.algorithms.includes('blend'))) continue;
      const started = performance.now();
      const b = blendParams(task, gbm, ridge, train, folds, seed);
      if (!b) log(`${task.name}: no blend (${booster} view ${gbm.params.view}, ridge view ${ridge.params.view})`);
      else {
        log(`${task.name}${task.includeReviews ? '+reviews' : ''} blend ${booster} + ridge, weights by out-of-fold R²: ${b.choice.curve.map((p) => `${p.weight}:${p.cvScore.toFixed(4)}`).join(' ')}`);
        record('blend', b.params, b.choice.cvScore, b.choice.cvStd, started);
      }
    }
  }

  const budget = options.maxBundleBytes ?? 2_800_000;
  const perTask = budget / 3;
  const maxCost = options.maxExplanationCost ?? 8000;
  const eligible = (r: CandidateResult): boolean => r.modelBytes + 200_000 <= perTask && r.explanationCost <= maxCost;

  // stacking: popularity from the subscriber regression that would ship (best CV within the budgets),
  // its prediction calibrated by logistic regression on out-of-fold predictions (candidates.ts)
  if (!options.algorithms || options.algorithms.includes('subscriber-score')) {
    for (const includeReviews of [false, true]) {
      const base = results
        .filter((r) => r.task === 'subscribers' && r.includeReviews === includeReviews && eligible(r))
        .sort((a, b) => b.cvScore - a.cvScore)[0];
      if (!base) continue;
      const task = popularityTask(includeReviews);
      const started = performance.now();
      const params: CandidateParams = { view: base.params.view ?? 'all', base: { algorithm: base.algorithm, params: base.params } };
      const cv = crossValidate(task, 'subscriber-score', params, train, folds, seed);
      recordFor(task, 'subscriber-score', params, cv.mean, cv.std, started);
    }
  }

  // ship the best (by CV) model per task, without num_reviews, within the size budget
  const pick = (name: CourseTask['name']): CandidateResult => {
    const ranked = results.filter((r) => r.task === name && !r.includeReviews).sort((a, b) => b.cvScore - a.cvScore);
    const fits = ranked.find(eligible);
    if (!fits) throw new Error(`no ${name} model fits the ${Math.round(perTask / 1000)} kB and ${maxCost} explanation-operation budgets`);
    for (const r of ranked) {
      if (r === fits) break;
      log(`${name}: ${r.algorithm} (cv ${r.cvScore.toFixed(4)}) not shipped: ${r.modelBytes + 200_000 > perTask ? `${r.modelBytes} bytes` : `explanation cost ${r.explanationCost} operations per record (budget ${maxCost})`}`);
    }
    return fits;
  };
  const shipped = { subject: pick('subject'), popularity: pick('popularity'), subscribers: pick('subscribers') };
  const taskOf = (r: CandidateResult) => courseTasks().find((t) => t.name === r.task && t.includeReviews === r.includeReviews)!;
  const bundle: CourseBundleJson = {
    format: COURSE_BUNDLE_FORMAT,
    formatVersion: 1,
    referenceDate: ds.referenceDate,
    subject: shippedTask(taskOf(shipped.subject), fitted.get(shipped.subject)!),
    popularity: shippedTask(taskOf(shipped.popularity), fitted.get(shipped.popularity)!),
    subscribers: shippedTask(taskOf(shipped.subscribers), fitted.get(shipped.subscribers)!),
  };
  const modelJson = Buffer.from(JSON.stringify(bundle));
  if (modelJson.length > budget) throw new Error(`model.json is ${modelJson.length} bytes, over the ${budget} byte budget`);
  const comparison = { results, shipped: Object.fromEntries(Object.entries(shipped).map(([k, r]) => [k, { algorithm: r.algorithm, params: r.params }])) };
  const version = publishVersion(
    'course',
    {
      task: 'course',
      format: 'json',
      files: { json: 'model.json', report: 'comparison.json' },
      labels: bundle.subject.labels,
      inputs: [{ name: 'course', shape: [-1, bundle.subject.featureSpace.columns.length], dtype: 'float32' }],
      outputs: [
        { name: 'subject', shape: [-1, bundle.subject.labels.length], dtype: 'float32' },
        { name: 'popularity', shape: [-1, 1], dtype: 'float32' },
        { name: 'subscribers', shape: [-1, 1], dtype: 'float32' },
      ],
      features: {
        kind: 'course',
        settings: {
          referenceDate: ds.referenceDate,
          tfidf: bundle.subject.featureSpace.settings.tfidf,
          popularityThreshold: bundle.popularity.threshold,
          subscribersTarget: 'log1p',
          numeric: bundle.subject.featureSpace.settings.numeric,
        },
      },
      training: {
        data: ds.path,
        dataSha256: sha256File(ds.path),
        rows: ds.records.length,
        rejected: ds.rejected.length,
        duplicates: ds.duplicates.length,
        train: train.length,
        test: test.length,
        split: { seed, testSize: split.testSize, stratify: 'subject' },
        folds,
        referenceDate: ds.referenceDate,
        shipped: comparison.shipped,
      },
      metrics: {
        subject: shipped.subject.test,
        popularity: shipped.popularity.test,
        subscribers: shipped.subscribers.test,
      },
    },
    { 'model.json': modelJson, 'comparison.json': Buffer.from(JSON.stringify(comparison, null, 1)) },
    options.modelsRoot,
  );
  // Training reference for drift monitoring: every numeric and categorical field of the training split, and the subject answers.
  await writeReference(version, { media: 'course', records: train }, { data: ds.path, split: `train split (seed ${seed}, test size ${split.testSize})` });
  log(`shipped models/course/${version.manifest.version} (${modelJson.length} bytes): subject ${shipped.subject.algorithm}, popularity ${shipped.popularity.algorithm}, subscribers ${shipped.subscribers.algorithm}`);
  return {
    version,
    results,
    shipped,
    split,
    dataset: { rows: ds.records.length, rejected: ds.rejected.length, duplicates: ds.duplicates.length, referenceDate: ds.referenceDate },
  };
}
