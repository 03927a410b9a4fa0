import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnrichedCourse } from '../features/course/enrich.js';
import { ModelLoadError, type ModelManifest } from './manifest.js';
import { modelsRoot, readVersion, resolveModel } from './model-repository.js';
import { COURSE_BUNDLE_FORMAT, type CourseBundleJson, type ShippedTaskJson } from '../training/course/bundle.js';
import { type CourseModel, type ExplanationMethod, courseModelFromJson, topByMagnitude } from '../training/course/course-model.js';
import { FeatureSpace } from '../training/course/feature-space.js';
import { maskColumns, type CsrMatrix } from '../training/course/sparse-matrix.js';
import { jsonErrorSummary } from '../core/redact.js';

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
  groups: Map<string, number[]> | null;
}

function loadTask(t: ShippedTaskJson): LoadedTask {
  const space = new FeatureSpace(t.featureSpace);
  const n = space.numericCount;
  const keep = t.view === 'numeric' ? (c: number) => c < n : t.view === 'text' ? (c: number) => c >= n : null;
  return { shipped: t, space, model: courseModelFromJson(t.model), keep, means: Float64Array.from(t.means), groups: categoricalGroups(space) };
}

function design(t: LoadedTask, records: readonly EnrichedCourse[]): CsrMatrix {
  const X = t.space.transform(records);
  return t.keep ? maskColumns(X, t.keep) : X;
}

/** One-hot column groups of a feature space ("subject=...", "level=..."), by prefix; null when it has none. */
function categoricalGroups(space: FeatureSpace): Map<string, number[]> | null {
  const groups = new Map<string, number[]>();
  space.columns.forEach((name, c) => {
    const m = /^(subject|level)=/.exec(name);
    if (m) groups.set(m[1], [...(groups.get(m[1]) ?? []), c]);
  });
  return groups.size > 0 ? groups : null;
}

/**
 * The k largest explanation terms of row r. A categorical feature is one-hot encoded, so its
 * columns for the categories the record does not have carry contributions too (the effect of not
 * being in them); those are summed into the one term of the record's own category
 * (`subject=Business Finance` holds the whole subject effect of a Business Finance course), so an
 * explanation never names a category the record does not belong to.
 */
function topTerms(t: LoadedTask, X: CsrMatrix, r: number, output: number, k: number, record: EnrichedCourse): ExplanationTerm[] {
  const groups = t.groups;
  const shap = groups ? t.model.shap(X, r, output, t.means) : null;
  if (!groups || !shap) {
    const top = t.model.explain(X, r, output, t.means, k);
    if (!top) return [];
    return top.map(([c, v]) => ({ feature: t.space.columns[c], contribution: Number(v.toPrecision(5)) }));
  }
  const phi = new Map(shap.phi);
  const names = new Map<number, string>();
  for (const [group, cols] of groups) {
    const own = group === 'subject' ? record.subject : record.level;
    const ownCol = own === undefined ? undefined : cols.find((c) => t.space.columns[c] === `${group}=${own}`);
    let sum = 0;
    for (const c of cols) {
      sum += phi.get(c) ?? 0;
      phi.delete(c);
    }
    // a category the model has no column for: the group's effect under the feature's own name
    const at = ownCol ?? cols[0];
    phi.set(at, sum);
    names.set(at, ownCol !== undefined ? t.space.columns[ownCol] : `${group}=${own ?? 'unknown'}`);
  }
  return topByMagnitude(phi, k).map(([c, v]) => ({ feature: names.get(c) ?? t.space.columns[c], contribution: Number(v.toPrecision(5)) }));
}

export function coursePredictorFromBundle(bundle: CourseBundleJson, manifest: ModelManifest, dir: string, options: CoursePredictorOptions = {}): CoursePredictor {
  if (bundle.format !== COURSE_BUNDLE_FORMAT) throw new ModelLoadError(manifest.name, `model.json is not a ${COURSE_BUNDLE_FORMAT} bundle`);
  const subject = loadTask(bundle.subject);
  const popularity = loadTask(bundle.popularity);
  const subscribers = loadTask(bundle.subscribers);
  const k = options.topTerms ?? 5;
  return {
    name: 'course',
    version: manifest.version,
    dir,
    manifest,
    referenceDate: bundle.referenceDate,
    predict(records: EnrichedCourse[], options: PredictOptions = {}): CoursePrediction[] {
      if (records.length === 0) return [];
      const explain = options.explain ?? true;
      const terms = (t: LoadedTask, X: CsrMatrix, r: number, output: number, record: EnrichedCourse): ExplanationTerm[] => (explain ? topTerms(t, X, r, output, k, record) : []);
      const Xs = design(subject, records);
      const subjectScores = subject.model.scores(Xs);
      const labels = subject.shipped.labels;
      const predictedSubject = subjectScores.map((s) => labels[argmax(s)]);
      // popularity/subscriber models use the subject as a feature: the record's own, else the predicted one
      const withSubject = records.map((r, i) => (r.subject !== undefined && labels.includes(r.subject) ? r : { ...r, subject: predictedSubject[i] }));
      const Xp = design(popularity, withSubject);
      const popScores = popularity.model.scores(Xp);
      const Xr = design(subscribers, withSubject);
      const logSubs = subscribers.model.predict(Xr);
      return records.map((r, i) => {
        const si = argmax(subjectScores[i]);
        const p = popScores[i][1];
        const ls = logSubs[i];
        return {
          courseId: r.courseId,
          subject: {
            label: labels[si],
            scores: Object.fromEntries(labels.map((l, j) => [l, Number(subjectScores[i][j].toPrecision(6))])),
            explanation: terms(subject, Xs, i, si, r),
          },
          popularity: { probability: p, popular: p >= 0.5, threshold: popularity.shipped.threshold ?? NaN, explanation: terms(popularity, Xp, i, 1, withSubject[i]) },
          subscribers: { predicted: Math.max(0, Math.expm1(ls)), log1p: ls, explanation: terms(subscribers, Xr, i, 0, withSubject[i]) },
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
  const v = asDir ? readVersion(modelVersion) : resolveModel('course', modelVersion, options.root ?? modelsRoot());
  if (v.manifest.format !== 'json' || !v.manifest.files.json) throw new ModelLoadError(v.dir, 'course models must be format "json" with files.json');
  let bundle: CourseBundleJson;
  try {
    bundle = JSON.parse(readFileSync(join(v.dir, v.manifest.files.json), 'utf8'));
  } catch (e) {
    throw new ModelLoadError(v.dir, `model.json is not valid JSON (${jsonErrorSummary(e)})`);
  }
  return coursePredictorFromBundle(bundle, v.manifest, v.dir, options);
}

function argmax(v: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
  return b;
}
