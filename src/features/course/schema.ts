import { z } from 'zod';
import { PermanentError } from '../../bus/stage-runner.js';
import { excerpt } from '../../core/redact.js';

/**
 * Validation and cleaning of one raw Udemy course record (the 12 columns of the Kaggle CSV, as
 * strings from CSV or typed values from JSON). Coercion only where real data varies:
 * booleans as True/true/1/yes/False/false/0/no, price "Free" or "$20", durations "1.5 hours",
 * "35 mins", "1 hour", "90 min" or plain hours, ISO timestamps. Ranges are enforced: negative
 * prices or counts and timestamps in the future are rejected, never clamped.
 *
 * num_subscribers, num_reviews and subject are optional: a live record to be scored may not know
 * them (they are what the models predict); training drops records that lack them.
 */
export const COURSE_COLUMNS = [
  'course_id',
  'course_title',
  'url',
  'is_paid',
  'price',
  'num_subscribers',
  'num_reviews',
  'num_lectures',
  'level',
  'content_duration',
  'published_timestamp',
  'subject',
] as const;

export const COURSE_LEVELS = ['All Levels', 'Beginner Level', 'Intermediate Level', 'Expert Level'] as const;
export type CourseLevel = (typeof COURSE_LEVELS)[number];

/** A course record after validation: typed, in range, canonical. */
export interface CleanCourse {
  courseId: string;
  title: string;
  url?: string;
  isPaid: boolean;
  price: number;
  numSubscribers?: number;
  numReviews?: number;
  numLectures: number;
  level: CourseLevel;
  /** Hours of video. */
  contentDurationHours: number;
  /** ISO 8601, UTC. */
  publishedAt: string;
  subject?: string;
}

const blankToUndefined = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const booleanLike = z.preprocess((v) => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['true', '1', 'yes', 'paid'].includes(s)) return true;
    if (['false', '0', 'no', 'free'].includes(s)) return false;
  }
  return v;
}, z.boolean({ error: 'expected a boolean (True/False, true/false, 1/0)' }));

function numberFrom(v: unknown): unknown {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const s = v.trim();
    if (s === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return v;
    return Number(s);
  }
  return v;
}

const nonNegativeInt = (what: string) =>
  z.preprocess(
    numberFrom,
    z
      .number({ error: `expected a number of ${what}` })
      .finite()
      .int({ error: `expected a whole number of ${what}` })
      .min(0, { error: `${what} cannot be negative` }),
  );

const price = z.preprocess(
  (v) => {
    if (typeof v === 'string') {
      const s = v.trim();
      if (/^free$/i.test(s)) return 0;
      const m = /^[$€£]\s*(.+)$/.exec(s);
      return numberFrom(m ? m[1] : s);
    }
    return v;
  },
  z.number({ error: 'expected a price (a number or "Free")' }).finite().min(0, { error: 'price cannot be negative' }),
);

/** Hours from "1.5 hours", "35 mins", "1 hour", "90 min", "2h", or a plain number of hours. */
export function parseDurationHours(v: unknown): unknown {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  const plain = numberFrom(s);
  if (typeof plain === 'number') return plain;
  const m = /^([-+]?\d+(?:\.\d+)?)\s*(hours?|hrs?|h|minutes?|mins?|m|questions?)$/.exec(s);
  if (!m) return v;
  const n = Number(m[1]);
  const unit = m[2];
  if (unit.startsWith('q')) return v; // "10 questions" is not a duration
  return unit.startsWith('m') ? n / 60 : n;
}

const duration = z.preprocess(
  parseDurationHours,
  z
    .number({ error: 'expected a duration ("1.5 hours", "35 mins" or hours)' })
    .finite()
    .min(0, { error: 'content duration cannot be negative' }),
);

const level = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const s = v.trim().toLowerCase().replace(/\s+/g, ' ');
    const hit = COURSE_LEVELS.find((l) => l.toLowerCase() === s || l.toLowerCase().split(' ')[0] === s);
    return hit ?? v;
  },
  z.enum(COURSE_LEVELS, { error: `expected one of ${COURSE_LEVELS.join(', ')}` }),
);

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

const nonEmptyText = (what: string) => z.string({ error: `expected ${what} as text` }).trim().min(1, { error: `${what} is empty` });

const rawSchema = z.object({
  course_id: z.preprocess(
    (v) => (typeof v === 'number' && Number.isInteger(v) ? String(v) : v),
    nonEmptyText('course id').regex(/^[A-Za-z0-9_-]+$/, { error: 'course id must be letters, digits, "_" or "-"' }),
  ),
  course_title: nonEmptyText('course title').max(500, { error: 'course title is longer than 500 characters' }),
  url: z.preprocess(blankToUndefined, z.string().optional()),
  is_paid: booleanLike,
  price,
  num_subscribers: z.preprocess(blankToUndefined, nonNegativeInt('subscribers').optional()),
  num_reviews: z.preprocess(blankToUndefined, nonNegativeInt('reviews').optional()),
  num_lectures: nonNegativeInt('lectures'),
  level,
  content_duration: duration,
  published_timestamp: z.preprocess(
    (v) => (v instanceof Date ? v.toISOString() : v),
    z
      .string({ error: 'expected an ISO 8601 timestamp' })
      .trim()
      .regex(ISO_DATE, { error: 'expected an ISO 8601 timestamp (e.g. 2017-01-18T20:58:58Z)' })
      .refine((s) => Number.isFinite(Date.parse(s)), { error: 'not a real date' }),
  ),
  subject: z.preprocess(blankToUndefined, nonEmptyText('subject').optional()),
});

export type CourseValidationResult =
  | { ok: true; course: CleanCourse }
  | { ok: false; field: string; message: string };

export interface ValidateOptions {
  /** Timestamps after this instant (epoch ms) are rejected. Default: now. */
  now?: number;
  /** Always validate with the zod schema (tests compare the fast path against it). */
  schemaOnly?: boolean;
}

type RawCourse = z.infer<typeof rawSchema>;

const COURSE_ID = /^[A-Za-z0-9_-]+$/;
const TRUE_WORDS = new Set(['true', '1', 'yes', 'paid']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'free']);
const LEVEL_OF = new Map<string, CourseLevel>(COURSE_LEVELS.flatMap((l) => [[l.toLowerCase(), l] as [string, CourseLevel], [l.toLowerCase().split(' ')[0], l] as [string, CourseLevel]]));

/** numberFrom, then the range checks of nonNegativeInt; undefined when the schema would reject it. */
function fastCount(v: unknown): number | undefined {
  const n = numberFrom(v);
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * The schema's result for the records it accepts in the usual forms (CSV strings, JSON numbers
 * and booleans), computed without zod (~10x faster); null whenever anything is unusual or
 * invalid, and then the schema decides (and names the error). Same output as rawSchema by
 * construction, checked field by field against it in test/course/schema-fast.test.ts.
 */
function fastParse(raw: Record<string, unknown>): RawCourse | null {
  let id = raw.course_id;
  if (typeof id === 'number' && Number.isInteger(id)) id = String(id);
  if (typeof id !== 'string') return null;
  id = id.trim();
  if (!COURSE_ID.test(id as string)) return null;
  const titleRaw = raw.course_title;
  if (typeof titleRaw !== 'string') return null;
  const title = titleRaw.trim();
  if (title.length < 1 || title.length > 500) return null;
  const urlRaw = raw.url;
  let url: string | undefined;
  if (typeof urlRaw === 'string') url = urlRaw.trim() === '' ? undefined : urlRaw;
  else if (urlRaw !== undefined) return null;
  const paidRaw = raw.is_paid;
  let isPaid: boolean;
  if (typeof paidRaw === 'boolean') isPaid = paidRaw;
  else if (paidRaw === 1 || paidRaw === 0) isPaid = paidRaw === 1;
  else if (typeof paidRaw === 'string') {
    const w = paidRaw.trim().toLowerCase();
    if (TRUE_WORDS.has(w)) isPaid = true;
    else if (FALSE_WORDS.has(w)) isPaid = false;
    else return null;
  } else return null;
  const priceRaw = raw.price;
  let price: unknown = priceRaw;
  if (typeof priceRaw === 'string') {
    const ps = priceRaw.trim();
    if (/^free$/i.test(ps)) price = 0;
    else {
      const m = /^[$€£]\s*(.+)$/.exec(ps);
      price = numberFrom(m ? m[1] : ps);
    }
  }
  if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) return null;
  const optionalCount = (v: unknown): number | undefined | null => {
    if (v === undefined || (typeof v === 'string' && v.trim() === '')) return undefined;
    const n = fastCount(v);
    return n === undefined ? null : n;
  };
  const subscribers = optionalCount(raw.num_subscribers);
  const reviews = optionalCount(raw.num_reviews);
  if (subscribers === null || reviews === null) return null;
  const lectures = fastCount(raw.num_lectures);
  if (lectures === undefined) return null;
  const levelRaw = raw.level;
  if (typeof levelRaw !== 'string') return null;
  const level = LEVEL_OF.get(levelRaw.trim().toLowerCase().replace(/\s+/g, ' '));
  if (!level) return null;
  const hours = parseDurationHours(raw.content_duration);
  if (typeof hours !== 'number' || !Number.isFinite(hours) || hours < 0) return null;
  const tsRaw = raw.published_timestamp;
  if (typeof tsRaw !== 'string') return null;
  const ts = tsRaw.trim();
  if (!ISO_DATE.test(ts) || !Number.isFinite(Date.parse(ts))) return null;
  const subjectRaw = raw.subject;
  let subject: string | undefined;
  if (typeof subjectRaw === 'string') subject = subjectRaw.trim() === '' ? undefined : subjectRaw.trim();
  else if (subjectRaw !== undefined) return null;
  return {
    course_id: id as string,
    course_title: title,
    url,
    is_paid: isPaid,
    price,
    num_subscribers: subscribers,
    num_reviews: reviews,
    num_lectures: lectures,
    level,
    content_duration: hours,
    published_timestamp: ts,
    subject,
  };
}

/** Validates and cleans one raw record; never throws. */
export function validateCourse(raw: unknown, options: ValidateOptions = {}): CourseValidationResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, field: '(record)', message: 'a course record must be an object' };
  }
  const fail = (field: string, message: string): CourseValidationResult => {
    const value = (raw as Record<string, unknown>)[field];
    // A short escaped excerpt of the offending field only (dead-letter headers and logs carry this message).
    const shown = value === undefined ? 'missing' : excerpt(value, 32);
    return { ok: false, field, message: `${field}: ${message} (got ${shown})` };
  };
  let d = options.schemaOnly ? null : fastParse(raw as Record<string, unknown>);
  if (!d) {
    const r = rawSchema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      return fail(issue.path.map(String).join('.') || '(record)', issue.message);
    }
    d = r.data;
  }
  const published = Date.parse(d.published_timestamp);
  if (published > (options.now ?? Date.now())) return fail('published_timestamp', 'timestamp is in the future');
  const course: CleanCourse = {
    courseId: d.course_id,
    title: d.course_title,
    isPaid: d.is_paid,
    price: d.price,
    numLectures: d.num_lectures,
    level: d.level,
    contentDurationHours: d.content_duration,
    publishedAt: new Date(published).toISOString(),
  };
  if (d.url !== undefined) course.url = d.url;
  if (d.num_subscribers !== undefined) course.numSubscribers = d.num_subscribers;
  if (d.num_reviews !== undefined) course.numReviews = d.num_reviews;
  if (d.subject !== undefined) course.subject = d.subject;
  return { ok: true, course };
}

/** Error of a record that failed validation; `field` names the offending column. */
export class CourseValidationError extends PermanentError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid course record: ${message}`, 'validation');
    this.name = 'CourseValidationError';
  }
}

/** Validates or throws CourseValidationError (reason 'validation', message naming the field). */
export function parseCourse(raw: unknown, options: ValidateOptions = {}): CleanCourse {
  const r = validateCourse(raw, options);
  if (!r.ok) throw new CourseValidationError(r.field, r.message);
  return r.course;
}
