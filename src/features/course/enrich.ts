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

let lastReference: { key: string; ms: number; iso: string } | undefined;

/** Epoch ms and ISO form of the reference date (the string form is parsed once and remembered). */
function reference(referenceDate: Date | string): { ms: number; iso: string } {
  if (typeof referenceDate === 'string') {
    if (lastReference?.key === referenceDate) return lastReference;
    const ms = new Date(referenceDate).getTime();
    if (!Number.isFinite(ms)) throw new Error(`enrichCourse: reference date ${referenceDate} is not a date`);
    lastReference = { key: referenceDate, ms, iso: new Date(ms).toISOString() };
    return lastReference;
  }
  const ms = referenceDate.getTime();
  if (!Number.isFinite(ms)) throw new Error(`enrichCourse: reference date ${String(referenceDate)} is not a date`);
  return { ms, iso: referenceDate.toISOString() };
}

/**
 * A shallow copy of a record's own properties. Copied key by key on purpose: an object spread
 * followed by a dozen new properties makes V8 build the object in dictionary mode, ~40 us per
 * record instead of ~1 (and slower property reads downstream).
 */
export function copyRecord<T extends object>(r: T): T {
  const out = {} as Record<string, unknown>;
  const src = r as Record<string, unknown>;
  for (const k of Object.keys(src)) out[k] = src[k];
  return out as T;
}

/** Number of whitespace-separated words (as text.split(/\s+/).filter(Boolean).length). */
function wordCount(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = isSpace(text.charCodeAt(i));
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

/** JavaScript's \s: WhiteSpace and LineTerminator code units. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Length in code points (as [...text].length). */
function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // a high surrogate followed by a low one is one code point
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

export function enrichCourse(course: CleanCourse, referenceDate: Date | string): EnrichedCourse {
  const ref = reference(referenceDate);
  const publishedMs = Date.parse(course.publishedAt);
  const published = new Date(publishedMs);
  const hours = course.contentDurationHours;
  const isFree = !course.isPaid || course.price === 0;
  const out = copyRecord(course) as EnrichedCourse;
  out.publishedYear = published.getUTCFullYear();
  out.publishedMonth = published.getUTCMonth() + 1;
  out.publishedWeekday = published.getUTCDay();
  out.ageDays = Math.max(0, (ref.ms - publishedMs) / DAY_MS);
  out.referenceDate = ref.iso;
  out.isFree = isFree;
  out.pricePerHour = hours > 0 ? (isFree ? 0 : course.price) / hours : null;
  out.lecturesPerHour = hours > 0 ? course.numLectures / hours : null;
  out.titleLength = codePointLength(course.title);
  out.titleWordCount = wordCount(course.title);
  out.titleTokens = tokenize(course.title);
  out.levelIndex = COURSE_LEVELS.indexOf(course.level as CourseLevel);
  return out;
}
