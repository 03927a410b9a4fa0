import type { StageDefinition, StageInput, StageResult } from '../../bus/stage-runner.js';
import { TOPICS } from '../../bus/topics.js';
import { COURSE_PASS_FIELD } from '../../ingest/course-source.js';
import { CourseDeduplicator, type DeduplicatorOptions } from './dedup.js';
import { enrichCourse } from './enrich.js';
import { parseCourse } from './schema.js';

export interface CourseEnrichStageOptions {
  /** Reference date for course age; use the serving model's `training.referenceDate` (see referenceDateOf). */
  referenceDate: Date | string;
  dedup?: DeduplicatorOptions;
  /** Clock for the "future timestamp" check (epoch ms). */
  now?: () => number;
  maxBatchSize?: number;
}

/**
 * Stage course.raw (courses.raw) -> course.enriched (courses.enriched): validates and cleans
 * (invalid -> DLQ, reason 'validation', message naming the field), drops duplicates by course_id
 * (DLQ, reason 'duplicate'; the same input redelivered is not a duplicate of itself), enriches. The envelope (stream id, seq, capturedAt) is carried over.
 */
export function createCourseEnrichStage(options: CourseEnrichStageOptions): StageDefinition & { dedup: CourseDeduplicator } {
  const dedup = new CourseDeduplicator(options.dedup);
  const now = options.now ?? Date.now;
  const ref = new Date(options.referenceDate);
  if (!Number.isFinite(ref.getTime())) throw new Error(`course enrich stage: referenceDate ${String(options.referenceDate)} is not a date`);
  return {
    name: 'features:course',
    input: TOPICS.coursesRaw,
    accepts: ['course.raw'],
    maxBatchSize: options.maxBatchSize ?? 256,
    dedup,
    async process(batch: StageInput[]): Promise<StageResult[]> {
      const t = now();
      return batch.map(({ message }) => {
        if (message.type !== 'course.raw') return new Error(`expected course.raw, got ${message.type}`);
        try {
          const clean = parseCourse(message.record, { now: t });
          // A looping source's replay is a new pass: its records are checked against that pass only.
          const pass = message.record[COURSE_PASS_FIELD];
          dedup.assertNew(message.env.streamId, clean.courseId, message.env.seq, typeof pass === 'number' && Number.isInteger(pass) && pass > 0 ? pass : undefined);
          const enriched = enrichCourse(clean, ref);
          return [
            {
              topic: TOPICS.coursesEnriched,
              message: { type: 'course.enriched' as const, env: { ...message.env }, record: enriched as unknown as Record<string, unknown> },
            },
          ];
        } catch (e) {
          return e instanceof Error ? e : new Error(String(e));
        }
      });
    },
  };
}
