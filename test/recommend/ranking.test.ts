import { beforeAll, describe, expect, it } from 'vitest';
import { CourseRecommender } from '../../src/recommend/recommender.js';
import { realCourses } from './helpers.js';

// Real rows: every title with one of these words (across all subjects, so "web" and "development"
// also bring Graphic Design and Business titles) plus 400 random others.
const courses = realCourses({ mustContain: ['python', 'web', 'development', 'piano', 'guitar'], randomCount: 400 });

describe('recommender ranking on real Udemy rows', () => {
  let r: CourseRecommender;
  beforeAll(async () => {
    r = new CourseRecommender();
    await r.upsertMany(courses);
  });

  it('knows the catalogue subjects', () => {
    expect(r.size).toBe(courses.length);
    expect(r.subjects).toEqual(['Business Finance', 'Graphic Design', 'Musical Instruments', 'Web Development']);
  });

  it('"python web development" returns Web Development courses with the matching terms in the reasons', () => {
    const res = r.recommend({ query: 'python web development' });
    expect(res.results).toHaveLength(10);
    for (const rec of res.results) {
      expect(rec.subject).toBe('Web Development');
      expect(rec.matchingTerms.length).toBeGreaterThan(0);
      expect(rec.matchingTerms.every((t) => ['python', 'web', 'development'].includes(t))).toBe(true);
      expect(rec.reasons[0]).toContain('title matches');
      expect(rec.popularity.source).toBe('subscriber-prior');
      expect(rec.reasons.some((s) => s.includes('log-scaled subscriber count'))).toBe(true);
    }
    // BM25 alone puts a title with all three words first; the blend keeps it in the top 10
    const byText = r.rank(res.query, 'text').results;
    expect(byText[0].matchingTerms).toEqual(['python', 'web', 'development']);
    expect(res.results.map((x) => x.courseId)).toContain(byText[0].courseId);
    expect(res.results[0].title.toLowerCase()).toContain('python');
    expect(res.catalogue.popularitySource).toBe('subscriber-prior');
    // ranked by score, best first
    const scores = res.results.map((x) => x.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('blends popularity: with weight 1 the order follows popularity among the text matches', () => {
    const q = { query: 'guitar', limit: 10 };
    const byPop = r.rank(q, 'blended', { popularity: 1, subject: 0, level: 0 }).results.map((x) => x.components.popularity);
    expect([...byPop].sort((a, b) => b - a)).toEqual(byPop);
    const byText = r.rank(q, 'text').results.map((x) => x.components.text);
    expect(byText[0]).toBe(1);
    expect([...byText].sort((a, b) => b - a)).toEqual(byText);
  });

  it('filters are hard constraints: price, hours, free/paid, subject, level', () => {
    const check = (input: Record<string, unknown>, ok: (c: { price: number; contentHours: number; isFree: boolean; subject?: string; level: string }) => boolean) => {
      const res = r.recommend({ query: 'complete course for beginners', limit: 50, ...input });
      expect(res.results.length).toBeGreaterThan(0);
      for (const c of res.results) expect(ok(c), JSON.stringify({ input, c: [c.title, c.price, c.contentHours, c.isFree] })).toBe(true);
    };
    check({ maxPrice: 30 }, (c) => c.price <= 30);
    check({ maxPrice: 0 }, (c) => c.price === 0 && c.isFree);
    check({ maxHours: 2 }, (c) => c.contentHours <= 2);
    check({ free: true }, (c) => c.isFree);
    check({ free: false }, (c) => !c.isFree && c.price > 0);
    check({ subject: 'musical instruments' }, (c) => c.subject === 'Musical Instruments');
    check({ level: 'beginner' }, (c) => c.level === 'Beginner Level');
    check({ maxPrice: 50, maxHours: 5, free: false, subject: 'Web Development' }, (c) => c.price <= 50 && c.contentHours <= 5 && !c.isFree && c.subject === 'Web Development');
    // every course that passes the filters and shares a word is a candidate; none are dropped silently
    const all = r.recommend({ query: 'piano', limit: 100, maxPrice: 20 });
    const matching = courses.filter((c) => c.titleTokens.includes('piano') && (c.isFree ? 0 : c.price) <= 20);
    expect(r.rank(all.query, 'text').candidates).toBe(matching.length);
    expect(all.results.map((x) => x.courseId)).toEqual(expect.arrayContaining(matching.map((c) => c.courseId)));
    // fewer matches than the limit: the blend fills up with Musical Instruments courses within the budget
    expect(all.candidates).toBeGreaterThan(matching.length);
    for (const x of all.results) expect(x.subject === 'Musical Instruments' && x.price <= 20).toBe(true);
  });

  it('the popularity-only ranking ignores the text', () => {
    const res = r.rank({ query: 'guitar', limit: 5 }, 'popularity');
    const top = [...courses].sort((a, b) => (b.numSubscribers ?? 0) - (a.numSubscribers ?? 0))[0];
    expect(res.results[0].courseId).toBe(top.courseId);
  });
});
