import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import { encodeMessage } from '../../src/bus/envelope.js';
import { StageRunner } from '../../src/bus/stage-runner.js';
import { TOPICS, deadLetterTopic } from '../../src/bus/topics.js';
import { createCourseEnrichStage } from '../../src/features/course/stage.js';
import { followEnrichedCourses } from '../../src/recommend/bus-consumer.js';
import { CourseRecommender } from '../../src/recommend/recommender.js';
import { REFERENCE_DATE, makeCourse, realCourses } from './helpers.js';

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

describe('recommender following courses.enriched', () => {
  it('a course arriving on the bus becomes recommendable (raw -> enrich stage -> recommender)', async () => {
    const bus = new EmbeddedBus();
    stops.push(() => bus.close());
    const recommender = new CourseRecommender();
    await recommender.upsertMany(realCourses({ randomCount: 200 }));
    const enrich = new StageRunner(bus, createCourseEnrichStage({ referenceDate: REFERENCE_DATE }));
    await enrich.start();
    stops.push(() => enrich.stop());
    const follower = await followEnrichedCourses(bus, recommender);
    stops.push(() => follower.stop());
    expect(follower.groupId).toBe('streamlens.recommender');

    const versions: number[] = [];
    recommender.onChange((v) => versions.push(v));
    expect(recommender.recommend({ query: 'zymurgy' }).results).toHaveLength(0);
    const raw = {
      course_id: '777001',
      course_title: 'Zymurgy for Home Brewers',
      is_paid: 'True',
      price: '25',
      num_subscribers: '10',
      num_reviews: '1',
      num_lectures: '12',
      level: 'All Levels',
      content_duration: '1.5 hours',
      published_timestamp: '2017-01-01T00:00:00Z',
      subject: 'Business Finance',
    };
    const rec = encodeMessage({ type: 'course.raw', env: { streamId: 'courses-live', seq: 0, capturedAt: Date.now() }, record: raw });
    await bus.producer().send(TOPICS.coursesRaw, [rec]);
    await until(() => recommender.has('777001'), 'the course to reach the recommender');
    const res = recommender.recommend({ query: 'zymurgy brewing' });
    expect(res.results[0]).toMatchObject({ courseId: '777001', matchingTerms: ['zymurgy'], price: 25 });
    expect(versions.length).toBeGreaterThan(0);
  });

  it('a malformed enriched record is dead-lettered with the field named and the follower carries on', async () => {
    const bus = new EmbeddedBus();
    stops.push(() => bus.close());
    const recommender = new CourseRecommender();
    const follower = await followEnrichedCourses(bus, recommender);
    stops.push(() => follower.stop());
    const dlq: { reason: string; error: string }[] = [];
    const consumer = bus.consumer({ groupId: 'test.dlq', topics: [deadLetterTopic(TOPICS.coursesEnriched)] });
    await consumer.run(async (b) => {
      for (const m of b.messages) dlq.push({ reason: m.headers['dlq.reason'], error: m.headers['dlq.error'] });
    });
    stops.push(() => consumer.stop());

    const env = (seq: number) => ({ streamId: 's', seq, capturedAt: Date.now() });
    const bad = { ...makeCourse({ course_id: '1' }), level: 'Grandmaster' } as unknown as Record<string, unknown>;
    const good = makeCourse({ course_id: '2' }) as unknown as Record<string, unknown>;
    await bus.producer().send(TOPICS.coursesEnriched, [
      encodeMessage({ type: 'course.enriched', env: env(0), record: bad }),
      encodeMessage({ type: 'course.enriched', env: env(1), record: good }),
    ]);
    await until(() => recommender.has('2') && dlq.length === 1, 'the good record and the dead letter');
    expect(recommender.has('1')).toBe(false);
    expect(dlq[0].reason).toBe('validation');
    expect(dlq[0].error).toContain('level');
  });
});
