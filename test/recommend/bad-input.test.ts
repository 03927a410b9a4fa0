import { beforeAll, describe, expect, it } from 'vitest';
import { handleCatalogueStatus, handleRecommendations } from '../../src/recommend/http.js';
import { RecommendationQueryError } from '../../src/recommend/query.js';
import { CourseRecommender } from '../../src/recommend/recommender.js';
import { makeCourse } from './helpers.js';

function expectFieldError(f: () => unknown, field: string, text: RegExp): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(RecommendationQueryError);
  expect((error as RecommendationQueryError).field).toBe(field);
  expect((error as Error).message).toMatch(new RegExp(`^${field}: `));
  expect((error as Error).message).toMatch(text);
}

describe('recommendation query validation', () => {
  let r: CourseRecommender;
  beforeAll(async () => {
    r = new CourseRecommender();
    await r.upsertMany([
      makeCourse({ course_id: '1', course_title: 'Piano for Beginners', subject: 'Musical Instruments' }),
      makeCourse({ course_id: '2', course_title: 'Learn Python Web Development', subject: 'Web Development', price: 'Free', is_paid: 'False' }),
    ]);
  });

  it('rejects bad fields with an error that names them', () => {
    expectFieldError(() => r.recommend({ query: '' }), 'query', /empty/);
    expectFieldError(() => r.recommend({ query: '   ' }), 'query', /empty/);
    expectFieldError(() => r.recommend({ query: '!!! ???' }), 'query', /no words/);
    expectFieldError(() => r.recommend({}), 'query', /what you want to learn/);
    expectFieldError(() => r.recommend({ query: 'python', subject: 'Cooking' }), 'subject', /unknown subject "Cooking"; valid subjects: Musical Instruments, Web Development/);
    expectFieldError(() => r.recommend({ query: 'python', maxPrice: -5 }), 'maxPrice', /budget cannot be negative/);
    expectFieldError(() => r.recommend({ query: 'python', maxPrice: 'cheap' }), 'maxPrice', /expected a number/);
    expectFieldError(() => r.recommend({ query: 'python', maxHours: 0 }), 'maxHours', /positive/);
    expectFieldError(() => r.recommend({ query: 'python', level: 'Grandmaster' }), 'level', /valid levels: All Levels, Beginner Level/);
    expectFieldError(() => r.recommend({ query: 'python', free: 'maybe' }), 'free', /true .* or false/);
    expectFieldError(() => r.recommend({ query: 'python', limit: 1000 }), 'limit', /at most 100/);
    expectFieldError(() => r.recommend({ query: 'python', maxprice: 10 }), 'maxprice', /unknown parameter; valid parameters: query, subject/);
    expectFieldError(() => r.recommend({ query: 'python '.repeat(100 * 1024 / 7) }), 'query', /is \d+ characters long; the limit is 500/);
  });

  it('accepts URL strings and normalises them', () => {
    const res = r.recommend({ query: ' python ', subject: 'web development', level: 'beginner', maxPrice: '0', maxHours: '3', free: 'true', limit: '5' });
    expect(res.query).toEqual({ query: 'python', subject: 'Web Development', level: 'Beginner Level', maxPrice: 0, maxHours: 3, free: true, limit: 5 });
    expect(res.results.map((x) => x.courseId)).toEqual(['2']);
    expect(res.results[0].priceFit).toBe('free');
  });
});

describe('GET /api/recommendations handler', () => {
  let r: CourseRecommender;
  beforeAll(async () => {
    r = new CourseRecommender();
    await r.upsert(makeCourse({ course_id: '1', course_title: 'Piano for Beginners', subject: 'Musical Instruments' }));
  });
  const get = (qs: string) => handleRecommendations(r, new URL(`http://localhost/api/recommendations?${qs}`));

  it('answers 200 with ranked results', () => {
    const a = get('query=piano&limit=3');
    expect(a.status).toBe(200);
    const body = a.body as { results: { courseId: string; matchingTerms: string[] }[]; catalogue: { size: number } };
    expect(body.results[0]).toMatchObject({ courseId: '1', matchingTerms: ['piano'] });
    expect(body.catalogue.size).toBe(1);
  });

  it('answers 400 naming the field', () => {
    const cases: [string, string][] = [
      ['query=', 'query'],
      ['subject=Cooking&query=piano', 'subject'],
      ['query=piano&maxPrice=-1', 'maxPrice'],
      [`query=${'a'.repeat(100 * 1024)}`, 'query'],
      ['query=piano&free=perhaps', 'free'],
      ['query=piano&budget=3', 'budget'],
      ['query=piano&query=guitar', 'query'],
      ['subject=Musical%20Instruments', 'query'],
    ];
    for (const [qs, field] of cases) {
      const a = get(qs);
      expect(a.status, qs.slice(0, 60)).toBe(400);
      expect(a.body.field).toBe(field);
      expect(String(a.body.error)).toMatch(new RegExp(`^${field}: `));
    }
  });

  it('reports the catalogue state for the dashboard', () => {
    const a = handleCatalogueStatus(r);
    expect(a.body).toMatchObject({ size: 1, subjects: ['Musical Instruments'], popularitySource: 'subscriber-prior' });
    expect(typeof a.body.version).toBe('number');
  });
});
