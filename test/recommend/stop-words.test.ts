import { describe, expect, it } from 'vitest';
import { RecommendationQueryError } from '../../src/recommend/query.js';
import { CourseRecommender } from '../../src/recommend/recommender.js';
import { contentTerms, STOP_WORDS } from '../../src/recommend/stop-words.js';
import { makeCourse, realCourses } from './helpers.js';

/** Issue 24 point 4c: stop words ignored in matching and in the shown reasons; popularity on a readable scale. */
describe('stop words', () => {
  it('drops function words, keeps technology names that look like them', () => {
    expect(contentTerms(['python', 'for', 'data', 'science', 'for', 'the', 'web'])).toEqual(['python', 'data', 'science', 'web']);
    for (const kept of ['go', 'it', 'all', 'web', 'react']) expect(STOP_WORDS.has(kept)).toBe(false);
  });

  it('"for" lifts no course: HTML for Beginners is not matched by a Python data-science query', async () => {
    const r = new CourseRecommender();
    await r.upsertMany([
      makeCourse({ course_id: 'html', course_title: 'HTML for Beginners', subject: 'Web Development', num_subscribers: '90000' }),
      makeCourse({ course_id: 'py', course_title: 'Python Data Science Bootcamp', subject: 'Web Development', num_subscribers: '10' }),
    ]);
    const res = r.recommend({ query: 'python for data science' });
    expect(res.results[0].courseId).toBe('py');
    expect(res.candidates - (res.results.length - 1)).toBe(1); // one text match; html only as a subject fill-up
    const html = res.results.find((x) => x.courseId === 'html');
    if (html) {
      expect(html.matchingTerms).toEqual([]);
      expect(html.components.text).toBe(0);
      expect(html.reasons[0]).toMatch(/^no title word matches the query/);
    }
    expect(res.results[0].matchingTerms).toEqual(['python', 'data', 'science']);
    expect(res.results[0].reasons[0]).toMatch(/^title matches "python", "data", "science"/);
    expect(JSON.stringify(res.results)).not.toMatch(/"for"|\\"for\\"/);
  });

  it('a query of only stop words is refused, naming the field', () => {
    const r = new CourseRecommender();
    try {
      r.recommend({ query: 'for the' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RecommendationQueryError);
      expect((e as RecommendationQueryError).field).toBe('query');
      expect((e as Error).message).toMatch(/only common words/);
    }
  });
});

describe('popularity percentile', () => {
  it('is the share of the other courses with a lower popularity score (ties share it), with the subscriber count', async () => {
    const r = new CourseRecommender({ popularityWeight: 1, subjectWeight: 0, levelWeight: 0 });
    const subs = [0, 10, 10, 1000, 100000];
    await r.upsertMany(subs.map((n, i) => makeCourse({ course_id: `c${i}`, course_title: `Piano course ${i}`, num_subscribers: String(n) })));
    const res = r.recommend({ query: 'piano', limit: 5 });
    const byId = Object.fromEntries(res.results.map((x) => [x.courseId, x.popularity]));
    expect(byId.c4).toMatchObject({ percentile: 100, subscribers: 100000 });
    expect(byId.c3).toMatchObject({ percentile: 75, subscribers: 1000 });
    expect(byId.c1.percentile).toBe(25); // tied with c2: one course below both
    expect(byId.c2.percentile).toBe(25);
    expect(byId.c0).toMatchObject({ percentile: 0, subscribers: 0 });
  });

  it('on real courses: percentiles span 0..100 and follow the score', async () => {
    const r = new CourseRecommender();
    await r.upsertMany(realCourses({ randomCount: 300 }));
    const res = r.recommend({ query: 'learn excel for finance', limit: 10 });
    const sorted = [...res.results].sort((a, b) => a.popularity.value - b.popularity.value);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].popularity.percentile).toBeGreaterThanOrEqual(sorted[i - 1].popularity.percentile);
    expect(res.catalogue).toMatchObject({ source: 'memory', size: r.size, live: false });
  });
});
