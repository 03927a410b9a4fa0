import type { EnrichedCourse } from '../../features/course/enrich.js';
import type { TfidfSettings } from '../../features/course/tfidf.js';
import { quantile } from '../../analysis/descriptive.js';
import { BASE_COURSE_FEATURES } from '../../features/course/course-features.js';
import type { FeatureSpaceSettings } from '../../features/course/feature-space.js';

/**
 * The three course learning tasks: subject (4 classes, from the title and attributes),
 * popularity (top quartile of num_subscribers; threshold learned on the training data) and
 * subscribers (regression of log1p(num_subscribers)). Popularity and subscribers come in two
 * variants, with and without num_reviews (which leaks popularity: reviews come from subscribers).
 */
export type { CourseTaskName } from '../../inference/course/bundle.js';
import type { CourseTaskName } from '../../inference/course/bundle.js';

export const TITLE_TFIDF: TfidfSettings = { ngramRange: [1, 2], minDf: 2, maxFeatures: 5000, sublinearTf: true };
/**
 * Character 2-5-grams inside the title's tokens (char_wb): word stems and spelling variants that
 * word n-grams miss ("guitar"/"guitars", "photoshop"/"photo"). The subject model uses them: 5-fold CV
 * accuracy of a linear SVM on the training part 0.953 with words alone, 0.973 with 10,000 of these
 * (scikit-learn, bench/sklearn_courses.py).
 */
export const TITLE_CHARS: TfidfSettings = { analyzer: 'char_wb', ngramRange: [2, 5], minDf: 2, maxFeatures: 10000, sublinearTf: true };

export interface TaskTarget {
  kind: 'classification' | 'regression';
  labels: string[];
  /** Popularity: num_subscribers >= threshold is "popular". */
  threshold?: number;
  y: Int32Array | Float64Array;
}

export interface CourseTask {
  name: CourseTaskName;
  includeReviews: boolean;
  kind: 'classification' | 'regression';
  /** Model-selection metric (higher is better). */
  selectionMetric: 'accuracy' | 'auc' | 'r2';
  settings(train: readonly EnrichedCourse[]): FeatureSpaceSettings;
  /** Fits the target on training records (labels, threshold). */
  fitTarget(train: readonly EnrichedCourse[]): Omit<TaskTarget, 'y'>;
  target(records: readonly EnrichedCourse[], fitted: Omit<TaskTarget, 'y'>): Int32Array | Float64Array;
}

function subjectsOf(records: readonly EnrichedCourse[]): string[] {
  const s = new Set<string>();
  for (const r of records) {
    if (r.subject === undefined) throw new Error(`course ${r.courseId} has no subject`);
    s.add(r.subject);
  }
  return [...s].sort();
}

function need(r: EnrichedCourse): number {
  if (r.numSubscribers === undefined) throw new Error(`course ${r.courseId} has no num_subscribers`);
  return r.numSubscribers;
}

export const subjectTask: CourseTask = {
  name: 'subject',
  includeReviews: false,
  kind: 'classification',
  selectionMetric: 'accuracy',
  settings: () => ({ numeric: BASE_COURSE_FEATURES, subjects: null, tfidf: TITLE_TFIDF, charTfidf: TITLE_CHARS }),
  fitTarget: (train) => ({ kind: 'classification', labels: subjectsOf(train) }),
  target: (records, fitted) =>
    Int32Array.from(records, (r) => {
      const i = fitted.labels.indexOf(r.subject ?? '');
      if (i < 0) throw new Error(`course ${r.courseId}: subject ${r.subject} is not one of ${fitted.labels.join(', ')}`);
      return i;
    }),
};

export function popularityTask(includeReviews: boolean): CourseTask {
  return {
    name: 'popularity',
    includeReviews,
    kind: 'classification',
    selectionMetric: 'auc',
    settings: (train) => ({ numeric: includeReviews ? [...BASE_COURSE_FEATURES, 'log_reviews'] : BASE_COURSE_FEATURES, subjects: subjectsOf(train), tfidf: TITLE_TFIDF }),
    fitTarget: (train) => ({ kind: 'classification', labels: ['not-popular', 'popular'], threshold: quantile(train.map(need), 0.75) }),
    target: (records, fitted) => Int32Array.from(records, (r) => (need(r) >= fitted.threshold! ? 1 : 0)),
  };
}

export function subscribersTask(includeReviews: boolean): CourseTask {
  return {
    name: 'subscribers',
    includeReviews,
    kind: 'regression',
    selectionMetric: 'r2',
    settings: (train) => ({ numeric: includeReviews ? [...BASE_COURSE_FEATURES, 'log_reviews'] : BASE_COURSE_FEATURES, subjects: subjectsOf(train), tfidf: TITLE_TFIDF }),
    fitTarget: () => ({ kind: 'regression', labels: ['log1p_subscribers'] }),
    target: (records) => Float64Array.from(records, (r) => Math.log1p(need(r))),
  };
}
