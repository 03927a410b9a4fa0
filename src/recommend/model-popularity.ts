import { type CoursePredictor, loadCoursePredictor } from '../inference/course/course-predictor.js';
import { listVersions, modelsRoot } from '../models/model-repository.js';
import { type PopularityScorer, subscriberPrior } from './popularity.js';
import { DEFAULT_MODEL_BY_MEDIA } from '../core/route.js';

/** Popularity from the course model: its predicted probability that a course is popular. */
export function coursePopularityScorer(predictor: CoursePredictor): PopularityScorer {
  return {
    source: 'course-model',
    description: `popularity probability predicted by the course model v${predictor.version}`,
    normaliseByMax: false,
    referenceDate: predictor.referenceDate,
    score: (courses) => predictor.predict([...courses], { explain: false }).map((p) => p.popularity.probability),
  };
}

export interface ResolvePopularityOptions {
  /** Model repository root (default models/). */
  modelsRoot?: string;
  /** Course model version (default: the highest). */
  version?: string;
  /** 'prior' forces the subscriber prior (e.g. to compare). */
  prefer?: 'model' | 'prior';
}

/**
 * The popularity source for the blend: the course model's predicted popularity when a course
 * model loads from the repository, else the subscriber prior (which source is used is reported in
 * every recommendation). A model that exists but fails to load is an error, not a silent fallback.
 */
export async function resolvePopularityScorer(options: ResolvePopularityOptions = {}): Promise<PopularityScorer> {
  if (options.prefer === 'prior') return subscriberPrior;
  const root = options.modelsRoot ?? modelsRoot();
  if (options.version === undefined && listVersions(DEFAULT_MODEL_BY_MEDIA.course, root).length === 0) return subscriberPrior;
  return coursePopularityScorer(loadCoursePredictor(options.version, { root }));
}
