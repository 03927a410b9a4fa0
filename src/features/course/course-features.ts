import { COURSE_LEVELS, type CourseLevel } from './schema.js';
import type { EnrichedCourse } from './enrich.js';

/** One numeric course feature: a small pure function of the enriched record. */
export type CourseFeature = (c: EnrichedCourse) => number;

const levelOneHots = Object.fromEntries(COURSE_LEVELS.map((l, i) => [`level=${l}`, (c: EnrichedCourse) => (c.levelIndex === i ? 1 : 0)])) as Record<`level=${CourseLevel}`, CourseFeature>;

/**
 * The registry of numeric course features. A model's feature space lists the names it was fitted
 * with (`settings.numeric` in its JSON); training and live scoring both look them up here.
 */
export const COURSE_FEATURES = {
  is_free: (c) => (c.isFree ? 1 : 0),
  price: (c) => c.price,
  log_price: (c) => Math.log1p(c.price),
  log_lectures: (c) => Math.log1p(c.numLectures),
  log_content_hours: (c) => Math.log1p(c.contentDurationHours),
  log_price_per_hour: (c) => Math.log1p(c.pricePerHour ?? 0),
  log_lectures_per_hour: (c) => Math.log1p(c.lecturesPerHour ?? 0),
  title_length: (c) => c.titleLength,
  title_words: (c) => c.titleWordCount,
  published_year: (c) => c.publishedYear,
  published_month: (c) => c.publishedMonth,
  published_weekday: (c) => c.publishedWeekday,
  log_age_days: (c) => Math.log1p(c.ageDays),
  level_index: (c) => c.levelIndex,
  ...levelOneHots,
  log_reviews: (c) => {
    if (c.numReviews === undefined) throw new Error('num_reviews is missing (the model was trained with num_reviews)');
    return Math.log1p(c.numReviews);
  },
} satisfies Record<string, CourseFeature>;

export type CourseFeatureName = keyof typeof COURSE_FEATURES;

/** Every feature except num_reviews (which a new course does not have yet). */
export const BASE_COURSE_FEATURES = (Object.keys(COURSE_FEATURES) as CourseFeatureName[]).filter((n) => n !== 'log_reviews');

export function isCourseFeature(name: string): name is CourseFeatureName {
  return Object.hasOwn(COURSE_FEATURES, name);
}

/** The feature functions for `names`, in order; an unknown name throws, naming it and the known ones. */
export function courseFeatureFunctions(names: readonly string[], what = 'feature space'): CourseFeature[] {
  const unknown = names.filter((n) => !isCourseFeature(n));
  if (unknown.length) throw new Error(`${what}: unknown course feature(s) ${unknown.join(', ')}; known: ${Object.keys(COURSE_FEATURES).join(', ')}`);
  return names.map((n) => COURSE_FEATURES[n as CourseFeatureName]);
}
