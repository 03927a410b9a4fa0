import { COURSE_LEVELS, type CleanCourse, type CourseLevel } from './schema.js';
import { tokenize } from './tfidf.js';

/**
 * Enrichment of a validated course: date parts, age relative to a reference date (a parameter,
 * stored in the model manifest so a scored record gets the same age it would have had in
 * training), price and lecture rates per content hour, title features and category encodings.
 * The same function serves training, evaluation and live scoring. The record is plain JSON (it
 * travels on `courses.enriched`) and is meant to be reused by the recommender (issue 10).
 */
export interface EnrichedCourse extends CleanCourse {
  publishedYear: number;
  /** 1-12. */
  publishedMonth: number;
  /** 0 = Sunday … 6 = Saturday (UTC). */
  publishedWeekday: number;
  /** Days from publication to the reference date (never negative). */
  ageDays: number;
  /** ISO date the age is measured against. */
  referenceDate: string;
  isFree: boolean;
  /** Price per hour of content; 0 for free courses, null when the duration is 0. */
  pricePerHour: number | null;
  /** Lectures per hour of content; null when the duration is 0. */
  lecturesPerHour: number | null;
  titleLength: number;
  titleWordCount: number;
  /** Tokens for TF-IDF (tokenize()). */
  titleTokens: string[];
  /** Index in COURSE_LEVELS (ordinal: 0 All, 1 Beginner, 2 Intermediate, 3 Expert). */
  levelIndex: number;
}

const DAY_MS = 86_400_000;

export function enrichCourse(course: CleanCourse, referenceDate: Date | string): EnrichedCourse {
  const ref = typeof referenceDate === 'string' ? new Date(referenceDate) : referenceDate;
  if (!Number.isFinite(ref.getTime())) throw new Error(`enrichCourse: reference date ${String(referenceDate)} is not a date`);
  const published = new Date(course.publishedAt);
  const hours = course.contentDurationHours;
  const isFree = !course.isPaid || course.price === 0;
  const tokens = tokenize(course.title);
  return {
    ...course,
    publishedYear: published.getUTCFullYear(),
    publishedMonth: published.getUTCMonth() + 1,
    publishedWeekday: published.getUTCDay(),
    ageDays: Math.max(0, (ref.getTime() - published.getTime()) / DAY_MS),
    referenceDate: ref.toISOString(),
    isFree,
    pricePerHour: hours > 0 ? (isFree ? 0 : course.price) / hours : null,
    lecturesPerHour: hours > 0 ? course.numLectures / hours : null,
    titleLength: [...course.title].length,
    titleWordCount: course.title.split(/\s+/).filter(Boolean).length,
    titleTokens: tokens,
    levelIndex: COURSE_LEVELS.indexOf(course.level as CourseLevel),
  };
}
