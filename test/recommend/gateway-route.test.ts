import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { CourseRecommender } from '../../src/recommend/recommender.js';
import { FakeApp } from '../helpers/fake-app.js';
import { makeCourse } from './helpers.js';

let app: FakeApp;
let gw: Gateway;
let root: string;
const recommender = new CourseRecommender();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'streamlens-gw-rec-'));
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'dist', 'index.html'), '<!doctype html><title>streamlens</title>');
  await recommender.upsertMany([
    makeCourse({ course_id: '1', course_title: 'Piano for Beginners', subject: 'Musical Instruments', price: '30' }),
    makeCourse({ course_id: '2', course_title: 'Jazz Piano Improvisation', subject: 'Musical Instruments', price: '120', level: 'Expert Level' }),
  ]);
  app = new FakeApp({ streams: [] });
  Object.assign(app, { recommender });
  await app.start();
  gw = await createGateway(app, { port: 0, dashboardDir: join(root, 'dist'), courseReportDir: join(root, 'courses'), env: {} });
});
afterAll(async () => {
  await gw.close();
  await app.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('gateway: GET /api/recommendations', () => {
  it('returns ranked results honouring the filters', async () => {
    const res = await fetch(`${gw.url}/api/recommendations?query=piano&maxPrice=50`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: { courseId: string; price: number }[] };
    expect(body.results.map((r) => r.courseId)).toEqual(['1']);
  });

  it('answers 400 naming the field for bad input', async () => {
    for (const [qs, field] of [
      ['query=', 'query'],
      ['query=piano&subject=Cooking', 'subject'],
      ['query=piano&maxPrice=-3', 'maxPrice'],
      [`query=${'x'.repeat(8 * 1024)}`, 'query'],
      [`query=${'x'.repeat(100 * 1024)}`, 'query'],
    ]) {
      const res = await fetch(`${gw.url}/api/recommendations?${qs}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; field: string };
      expect(body.field).toBe(field);
      expect(body.error.startsWith(`${field}: `)).toBe(true);
    }
  });

  it('reports the catalogue version, and refuses other methods', async () => {
    const res = await fetch(`${gw.url}/api/recommendations/catalogue`);
    expect(await res.json()).toMatchObject({ size: 2, subjects: ['Musical Instruments'] });
    expect((await fetch(`${gw.url}/api/recommendations?query=piano`, { method: 'DELETE' })).status).toBeGreaterThanOrEqual(400);
  });
});
