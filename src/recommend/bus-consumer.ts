import type { Bus } from '../bus/bus.js';
import { PermanentError, type StageDefinition, type StageInput, type StageResult, StageRunner } from '../bus/stage-runner.js';
import { TOPICS } from '../bus/topics.js';
import type { EnrichedCourse } from '../features/course/enrich.js';
import { asEnrichedCourse } from './enriched-record.js';
import type { CourseRecommender } from './recommender.js';

/** Stage name; the consumer group is `streamlens.recommender`. */
export const RECOMMENDER_STAGE = 'recommender';

/**
 * A sink stage on `courses.enriched` (its own consumer group, `streamlens.recommender`) that
 * upserts every enriched course into the recommender. A malformed record goes to
 * `courses.enriched.dlq` (reason 'validation', message naming the field); a failure to store
 * throws, so the batch is redelivered (at-least-once; upsert by course_id makes that harmless).
 */
export function createRecommenderStage(recommender: CourseRecommender): StageDefinition {
  return {
    name: RECOMMENDER_STAGE,
    input: TOPICS.coursesEnriched,
    accepts: ['course.enriched'],
    maxBatchSize: 256,
    async process(batch: StageInput[]): Promise<StageResult[]> {
      const results: StageResult[] = [];
      const good: EnrichedCourse[] = [];
      for (const { message } of batch) {
        if (message.type !== 'course.enriched') {
          results.push(new PermanentError(`expected course.enriched, got ${message.type}`, 'unknown-type'));
          continue;
        }
        try {
          good.push(asEnrichedCourse(message.record));
          results.push([]);
        } catch (e) {
          results.push(new PermanentError((e as Error).message, 'validation'));
        }
      }
      await recommender.upsertMany(good);
      return results;
    },
  };
}

/** Starts following `courses.enriched` into the recommender; stop() the returned runner on shutdown. */
export async function followEnrichedCourses(bus: Bus, recommender: CourseRecommender): Promise<StageRunner> {
  const runner = new StageRunner(bus, createRecommenderStage(recommender));
  await runner.start();
  return runner;
}
