import type { EnrichedCourse } from '../features/course/enrich.js';

/**
 * Where the popularity half of the blended ranking comes from. Two sources:
 * - 'subscriber-prior': log1p(num_subscribers), normalised by the catalogue maximum (a course
 *   without a subscriber count gets 0). Used while no course popularity model can be loaded.
 * - 'course-model': the popularity probability the course model predicts (already in [0, 1]).
 * The source is named in every recommendation's reasons.
 */
export type PopularitySourceName = 'course-model' | 'subscriber-prior';

export interface PopularityScorer {
  readonly source: PopularitySourceName;
  /** One line for people, e.g. "log-scaled num_subscribers (no course model loaded)". */
  readonly description: string;
  /** When true, scores are divided by the catalogue's largest score (so they span [0, 1]). */
  readonly normaliseByMax: boolean;
  /** Reference date the courses must be enriched with (a model's training reference date). */
  readonly referenceDate?: string;
  /** Raw popularity per course, in order; non-negative. */
  score(courses: readonly EnrichedCourse[]): number[] | Promise<number[]>;
}

export const subscriberPrior: PopularityScorer = {
  source: 'subscriber-prior',
  description: 'log-scaled num_subscribers normalised by the catalogue maximum (no course popularity model loaded)',
  normaliseByMax: true,
  score: (courses) => courses.map((c) => (c.numSubscribers === undefined ? 0 : Math.log1p(c.numSubscribers))),
};
