import { z } from 'zod';
import { COURSE_LEVELS, type CourseLevel } from '../features/course/schema.js';
import { tokenize } from '../features/course/tfidf.js';
import { contentTerms } from './stop-words.js';

/**
 * A learner's request: free text of what they want to learn plus hard constraints (subject,
 * level, budget, hours, free/paid) and how many results. Validated with zod; a bad field raises
 * RecommendationQueryError naming it (the HTTP layer answers 400 with the field).
 */
export interface RecommendationQuery {
  query: string;
  subject?: string;
  level?: CourseLevel;
  /** Highest price accepted (same currency as the catalogue); free courses cost 0. */
  maxPrice?: number;
  /** Most hours of content accepted. */
  maxHours?: number;
  /** true: free courses only; false: paid only; absent: both. */
  free?: boolean;
  limit: number;
}

export const MAX_QUERY_CHARS = 500;
export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 10;
export const QUERY_FIELDS = ['query', 'subject', 'level', 'maxPrice', 'maxHours', 'free', 'limit'] as const;

export class RecommendationQueryError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'RecommendationQueryError';
  }
}

const numberFrom = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  const s = v.trim();
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) ? Number(s) : v;
};

const blankToUndefined = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);

function schemaFor(subjects: readonly string[]) {
  const subjectByKey = new Map(subjects.map((s) => [s.toLowerCase(), s]));
  return z.object({
    query: z
      .string({ error: 'expected the text of what you want to learn' })
      // length is checked before trimming so a huge string is refused without more work
      .max(MAX_QUERY_CHARS, { error: (iss) => `is ${(iss.input as string).length} characters long; the limit is ${MAX_QUERY_CHARS}` })
      .trim()
      .min(1, { error: 'is empty: say what you want to learn' })
      .refine((s) => tokenize(s).length > 0, { error: 'has no words to match (letters or digits)' })
      .refine((s) => tokenize(s).length === 0 || contentTerms(tokenize(s)).length > 0, { error: 'has only common words (such as "for", "the"): say what you want to learn' }),
    subject: z.preprocess(
      blankToUndefined,
      z
        .string({ error: 'expected a subject name' })
        .max(200, { error: 'is longer than 200 characters' })
        .transform((s, ctx) => {
          const hit = subjectByKey.get(s.trim().toLowerCase());
          if (hit === undefined) {
            ctx.addIssue({
              code: 'custom',
              message:
                subjects.length === 0
                  ? `unknown subject "${s}": the catalogue has no subjects yet`
                  : `unknown subject "${s}"; valid subjects: ${subjects.join(', ')}`,
            });
            return z.NEVER;
          }
          return hit;
        })
        .optional(),
    ),
    level: z.preprocess(
      (v) => {
        v = blankToUndefined(v);
        if (typeof v !== 'string') return v;
        const s = v.trim().toLowerCase().replace(/\s+/g, ' ');
        return COURSE_LEVELS.find((l) => l.toLowerCase() === s || l.toLowerCase().split(' ')[0] === s) ?? v;
      },
      z.enum(COURSE_LEVELS, { error: `unknown level; valid levels: ${COURSE_LEVELS.join(', ')}` }).optional(),
    ),
    maxPrice: z.preprocess(
      (v) => numberFrom(blankToUndefined(v)),
      z.number({ error: 'expected a number (the budget)' }).finite().min(0, { error: 'budget cannot be negative' }).optional(),
    ),
    maxHours: z.preprocess(
      (v) => numberFrom(blankToUndefined(v)),
      z.number({ error: 'expected a number of hours' }).finite().positive({ error: 'maximum hours must be positive' }).optional(),
    ),
    free: z.preprocess(
      (v) => {
        v = blankToUndefined(v);
        if (typeof v !== 'string') return v;
        const s = v.trim().toLowerCase();
        return s === 'true' ? true : s === 'false' ? false : v;
      },
      z.boolean({ error: 'expected true (free only) or false (paid only)' }).optional(),
    ),
    limit: z.preprocess(
      (v) => numberFrom(blankToUndefined(v)),
      z
        .number({ error: 'expected a whole number of results' })
        .int({ error: 'expected a whole number of results' })
        .min(1, { error: 'must be at least 1' })
        .max(MAX_LIMIT, { error: `must be at most ${MAX_LIMIT}` })
        .default(DEFAULT_LIMIT),
    ),
  });
}

let cache: { key: string; schema: ReturnType<typeof schemaFor> } | undefined;

/** Building the schema costs milliseconds; it is rebuilt only when the subject list changes. */
function cachedSchema(subjects: readonly string[]): ReturnType<typeof schemaFor> {
  const key = subjects.join('\u0000');
  if (cache?.key !== key) cache = { key, schema: schemaFor(subjects) };
  return cache.schema;
}

/**
 * Validates a query object (typed values, or strings as they come from a URL). `subjects` are
 * the subjects the catalogue knows; a subject is matched case-insensitively to its canonical name.
 * Unknown keys are refused (a misspelt filter must not be silently ignored).
 */
export function parseRecommendationQuery(input: unknown, subjects: readonly string[]): RecommendationQuery {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new RecommendationQueryError('(query)', 'a recommendation request must be an object');
  }
  const unknown = Object.keys(input).filter((k) => !(QUERY_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new RecommendationQueryError(unknown[0], `unknown parameter; valid parameters: ${QUERY_FIELDS.join(', ')}`);
  }
  const r = cachedSchema(subjects).safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new RecommendationQueryError(issue.path.map(String).join('.') || '(query)', issue.message);
  }
  const q: RecommendationQuery = { query: r.data.query, limit: r.data.limit };
  if (r.data.subject !== undefined) q.subject = r.data.subject;
  if (r.data.level !== undefined) q.level = r.data.level;
  if (r.data.maxPrice !== undefined) q.maxPrice = r.data.maxPrice;
  if (r.data.maxHours !== undefined) q.maxHours = r.data.maxHours;
  if (r.data.free !== undefined) q.free = r.data.free;
  return q;
}
