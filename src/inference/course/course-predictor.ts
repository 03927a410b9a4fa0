import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { roundSignificant } from '../../core/round.js';
import { type EnrichedCourse, copyRecord } from '../../features/course/enrich.js';
import type { SparseVector } from '../../features/course/tfidf.js';
import { ModelLoadError, type ModelManifest } from '../../models/manifest.js';
import { modelsRoot, readVersion, resolveModel } from '../../models/model-repository.js';
import { COURSE_BUNDLE_FORMAT, type CourseBundleJson, type ShippedTaskJson } from './bundle.js';
import { type CourseModel, type ExplanationMethod, courseModelFromJson } from './course-model.js';
import type { AdditiveExplainer } from './fast-explain.js';
import type { TreeShapTables } from './fast-tree-shap.js';
import { FeatureSpace } from '../../features/course/feature-space.js';
import { maskColumns, type CsrMatrix } from '../../features/course/sparse-matrix.js';
import { DEFAULT_MODEL_BY_MEDIA } from '../../core/route.js';

/**
 * Live scoring of enriched course records with the shipped course models
 * (models/course/<version>/model.json): subject label and scores, popularity probability,
 * predicted subscribers, each with its top explanation terms (exact linear SHAP or TreeSHAP
 * values, the weighted sum of both for a blend, or naive Bayes log-likelihood terms). The generic inference stage calls `predict` for
 * `course.enriched` messages; records must be enriched with the model's reference date
 * (`referenceDate`, also in the manifest's features.settings).
 */
export interface ExplanationTerm {
  /** Column name: a numeric feature (e.g. "log_lectures") or "title:<term>". */
  feature: string;
  /** Contribution to the explained output (log-odds / margin / log1p subscribers). */
  contribution: number;
}

export interface CoursePrediction {
  courseId: string;
  subject: { label: string; scores: Record<string, number>; explanation: ExplanationTerm[] };
  popularity: { probability: number; popular: boolean; threshold: number; explanation: ExplanationTerm[] };
  subscribers: { predicted: number; log1p: number; explanation: ExplanationTerm[] };
  /** The subject used by the popularity/subscriber models: the record's own, else the predicted one. */
  subjectUsed: string;
  explanationMethod: { subject: ExplanationMethod; popularity: ExplanationMethod; subscribers: ExplanationMethod };
}

export interface CoursePredictor {
  name: 'course';
  version: string;
  /** The version folder. */
  dir: string;
  manifest: ModelManifest;
  referenceDate: string;
  /**
   * Scores records; with `explain: false` the explanation lists stay empty, which saves most of
   * the time of a tree-ensemble model (bulk scoring: evaluation, recommender popularity).
   */
  predict(records: EnrichedCourse[], options?: PredictOptions): CoursePrediction[];
  /**
   * Bytes of the precomputed explanation tables and vectors this version holds (built at load;
   * a hot reload keeps two versions, so twice about this while both are loaded).
   */
  explanationBytes: number;
}

export interface PredictOptions {
  /** Compute the top explanation terms per output (default true). */
  explain?: boolean;
}

export interface CoursePredictorOptions {
  root?: string;
  /** Explanation terms per output (default 5). */
  topTerms?: number;
}

interface LoadedTask {
  shipped: ShippedTaskJson;
  space: FeatureSpace;
  model: CourseModel;
  keep: ((c: number) => boolean) | null;
  means: Float64Array;
  /** Compiled explainer per explained output (null: the model's own explain). */
  explainers: (AdditiveExplainer | null)[];
  /** One-hot category columns (subject=..., level=...): how many more terms to ask for than are shown. */
  categoryColumns: number;
}

/** `outputs`: the outputs whose explanations are served (subject: every class; popularity: 1; subscribers: 0). */
function loadTask(t: ShippedTaskJson, outputs: number[]): LoadedTask {
  const space = new FeatureSpace(t.featureSpace);
  const n = space.numericCount;
  const keep = t.view === 'numeric' ? (c: number) => c < n : t.view === 'text' ? (c: number) => c >= n : null;
  const model = courseModelFromJson(t.model);
  const means = Float64Array.from(t.means);
  const cols = space.columns.length;
  const explainers: (AdditiveExplainer | null)[] = [];
  for (const o of outputs) {
    try {
      explainers[o] = model.explainer(cols, o, means);
    } catch (e) {
      if (!/tree shap tables/.test((e as Error).message)) throw e;
      explainers[o] = null; // trees too deep for tables: the recursive TreeSHAP
    }
  }
  return { shipped: t, space, model, keep, means, explainers, categoryColumns: categoryColumnCount(space) };
}

function explanationBytes(tasks: readonly LoadedTask[]): number {
  const tables = new Set<TreeShapTables>();
  let bytes = 0;
  for (const t of tasks) {
    for (const e of t.explainers) {
      if (!e) continue;
      bytes += e.bytes;
      for (const tt of e.treeTables) {
        if (tables.has(tt)) bytes -= tt.bytes; // shared by several explainers: count once
        tables.add(tt);
      }
    }
  }
  return bytes;
}

function design(t: LoadedTask, records: readonly EnrichedCourse[], text?: readonly SparseVector[]): CsrMatrix {
  const X = t.space.transform(records, text);
  return t.keep ? maskColumns(X, t.keep) : X;
}

const termCols = new Int32Array(64);
const termVals = new Float64Array(64);

/** One-hot columns of categories (subject=..., level=...) in a feature space. */
function categoryColumnCount(space: { columns: readonly string[] }): number {
  return space.columns.filter((name) => CATEGORY_COLUMN.test(name)).length;
}

const CATEGORY_COLUMN = /^(subject|level)=(.*)$/;

/**
 * Whether an explanation term may be shown for this record: a one-hot column of a category the
 * record does not belong to (its contribution is the effect of *not* being in it) is left out, so an
 * explanation never names a subject or level the course does not have. The explainers are asked for
 * k + (category columns) terms, so the k kept are exactly the k largest allowed contributions.
 */
function shownFor(feature: string, record: EnrichedCourse): boolean {
  const m = CATEGORY_COLUMN.exec(feature);
  if (!m) return true;
  return m[1] === 'subject' ? m[2] === record.subject : m[2] === record.level;
}

function topTerms(t: LoadedTask, X: CsrMatrix, r: number, output: number, k: number, record: EnrichedCourse): ExplanationTerm[] {
  const e = t.explainers[output];
  const want = k + t.categoryColumns;
  const out: ExplanationTerm[] = [];
  const add = (c: number, v: number) => {
    const feature = t.space.columns[c];
    if (out.length < k && shownFor(feature, record)) out.push({ feature, contribution: roundSignificant(v, 5) });
  };
  if (e && want <= termCols.length) {
    const n = e.explainInto(X, r, want, termCols, termVals);
    for (let i = 0; i < n; i++) add(termCols[i], termVals[i]);
    return out;
  }
  const top = e ? e.explain(X, r, want).terms : t.model.explain(X, r, output, t.means, want);
  if (!top) return [];
  for (const [c, v] of top) add(c, v);
  return out;
}

export function coursePredictorFromBundle(bundle: CourseBundleJson, manifest: ModelManifest, dir: string, options: CoursePredictorOptions = {}): CoursePredictor {
  if (bundle.format !== COURSE_BUNDLE_FORMAT) throw new ModelLoadError(manifest.name, `model.json is not a ${COURSE_BUNDLE_FORMAT} bundle`);
  const subject = loadTask(bundle.subject, bundle.subject.labels.map((_, i) => i));
  const subscribers = loadTask(bundle.subscribers, [0]);
  const subscriberModel = subscribers.explainers[0];
  // a popularity model that is a score link over the very subscriber model (same design matrix) is
  // served from the subscriber prediction and its SHAP values: p = sigmoid(slope * log1p + intercept),
  // phi = slope * the subscriber phi (the same top terms, in the same order, for slope > 0)
  const pm = bundle.popularity.model;
  const link =
    pm.type === 'score-link' &&
    pm.slope > 0 &&
    subscriberModel !== null &&
    bundle.popularity.view === bundle.subscribers.view &&
    JSON.stringify(pm.model) === JSON.stringify(bundle.subscribers.model) &&
    JSON.stringify(bundle.popularity.featureSpace) === JSON.stringify(bundle.subscribers.featureSpace)
      ? { slope: pm.slope, intercept: pm.intercept }
      : null;
  const popularity = loadTask(bundle.popularity, link ? [] : [1]);
  // the three tasks' TF-IDF blocks usually share one vocabulary: vectorise each title once
  const sharedText = subject.space.vectorizer && subject.space.sameVocabulary(popularity.space) && subject.space.sameVocabulary(subscribers.space) ? subject.space.vectorizer : null;
  const k = options.topTerms ?? 5;
  return {
    name: 'course',
    version: manifest.version,
    dir,
    manifest,
    referenceDate: bundle.referenceDate,
    explanationBytes: explanationBytes([subject, popularity, subscribers]),
    predict(records: EnrichedCourse[], options: PredictOptions = {}): CoursePrediction[] {
      if (records.length === 0) return [];
      const explain = options.explain ?? true;
      const terms = (t: LoadedTask, X: CsrMatrix, r: number, output: number, record: EnrichedCourse): ExplanationTerm[] => (explain ? topTerms(t, X, r, output, k, record) : []);
      const text = sharedText ? records.map((r) => sharedText.transform(r.titleTokens)) : undefined;
      const Xs = design(subject, records, text);
      const subjectScores = subject.model.scores(Xs);
      const labels = subject.shipped.labels;
      const predictedSubject = subjectScores.map((s) => labels[argmax(s)]);
      // popularity/subscriber models use the subject as a feature: the record's own, else the predicted one
      const withSubject = records.map((r, i) => {
        if (r.subject !== undefined && labels.includes(r.subject)) return r;
        const c = copyRecord(r);
        c.subject = predictedSubject[i];
        return c;
      });
      const Xp = link ? null : design(popularity, withSubject, text);
      const popScores = Xp ? popularity.model.scores(Xp) : null;
      const Xr = design(subscribers, withSubject, text);
      // the compiled explainer predicts and explains in one pass (same arithmetic either way)
      const logSubs = subscriberModel ? (explain ? null : subscriberModel.predictAll(Xr)) : subscribers.model.predict(Xr);
      const kSub = k + subscribers.categoryColumns;
      const subExplained = subscriberModel && explain ? subscriberModel.explainAllFlat(Xr, kSub) : null;
      return records.map((r, i) => {
        const si = argmax(subjectScores[i]);
        let ls: number;
        let subscriberTerms: ExplanationTerm[] = [];
        let popularityTerms: ExplanationTerm[] | null = link && explain ? [] : null;
        if (subExplained) {
          ls = subExplained.prediction[i];
          for (let j = 0; j < subExplained.count[i] && subscriberTerms.length < k; j++) {
            const feature = subscribers.space.columns[subExplained.cols[i * kSub + j]];
            if (!shownFor(feature, withSubject[i])) continue;
            const v = subExplained.vals[i * kSub + j];
            subscriberTerms.push({ feature, contribution: roundSignificant(v, 5) });
            popularityTerms?.push({ feature, contribution: roundSignificant(link!.slope * v, 5) });
          }
        } else if (subscriberModel) ls = logSubs![i];
        else {
          ls = logSubs![i];
          subscriberTerms = terms(subscribers, Xr, i, 0, withSubject[i]);
        }
        const p = link ? 1 / (1 + Math.exp(-(link.slope * ls + link.intercept))) : popScores![i][1];
        if (!popularityTerms) popularityTerms = Xp ? terms(popularity, Xp, i, 1, withSubject[i]) : [];
        return {
          courseId: r.courseId,
          subject: {
            label: labels[si],
            scores: Object.fromEntries(labels.map((l, j) => [l, roundSignificant(subjectScores[i][j], 6)])),
            explanation: terms(subject, Xs, i, si, r),
          },
          popularity: { probability: p, popular: p >= 0.5, threshold: popularity.shipped.threshold ?? NaN, explanation: popularityTerms },
          subscribers: { predicted: Math.max(0, Math.expm1(ls)), log1p: ls, explanation: subscriberTerms },
          subjectUsed: withSubject[i].subject!,
          explanationMethod: { subject: subject.model.explanationMethod, popularity: popularity.model.explanationMethod, subscribers: subscribers.model.explanationMethod },
        };
      });
    },
  };
}

/**
 * Loads models/course/<version> (the highest version when none is given). `modelVersion` may also
 * be a version folder (a path holding manifest.json).
 */
export function loadCoursePredictor(modelVersion?: string, options: CoursePredictorOptions = {}): CoursePredictor {
  const asDir = modelVersion !== undefined && !/^\d+$/.test(modelVersion);
  if (asDir && !existsSync(join(modelVersion, 'manifest.json'))) throw new ModelLoadError(modelVersion, 'not a model version folder (no manifest.json)');
  const v = asDir ? readVersion(modelVersion) : resolveModel(DEFAULT_MODEL_BY_MEDIA.course, modelVersion, options.root ?? modelsRoot());
  if (v.manifest.format !== 'json' || !v.manifest.files.json) throw new ModelLoadError(v.dir, 'course models must be format "json" with files.json');
  let bundle: CourseBundleJson;
  try {
    bundle = JSON.parse(readFileSync(join(v.dir, v.manifest.files.json), 'utf8'));
  } catch (e) {
    throw new ModelLoadError(v.dir, `model.json is not valid JSON: ${(e as Error).message}`);
  }
  return coursePredictorFromBundle(bundle, v.manifest, v.dir, options);
}

function argmax(v: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
  return b;
}
