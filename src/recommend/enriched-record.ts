import { z } from 'zod';
import { COURSE_LEVELS } from '../features/course/schema.js';
import type { EnrichedCourse } from '../features/course/enrich.js';

/**
 * Shape check of an enriched course record as it arrives on `courses.enriched` or from the
 * snapshot file (both plain JSON). The record was validated and enriched upstream
 * (features/course); this only makes sure the fields the recommender reads are there and typed,
 * so a malformed message is refused with the field named instead of corrupting the catalogue.
 */
const enrichedShape = z.looseObject({
  courseId: z.string().min(1),
  title: z.string().min(1),
  level: z.enum(COURSE_LEVELS),
  price: z.number().finite().min(0),
  isFree: z.boolean(),
  isPaid: z.boolean(),
  contentDurationHours: z.number().finite().min(0),
  numSubscribers: z.number().int().min(0).optional(),
  subject: z.string().min(1).optional(),
  titleTokens: z.array(z.string()),
});

export class EnrichedRecordError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`enriched course record: ${field}: ${message}`);
    this.name = 'EnrichedRecordError';
  }
}

export function asEnrichedCourse(record: unknown): EnrichedCourse {
  const r = enrichedShape.safeParse(record);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new EnrichedRecordError(issue.path.map(String).join('.') || '(record)', issue.message);
  }
  return record as EnrichedCourse;
}
