import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CatalogueStore } from '../../src/recommend/catalogue-store.js';
import { CourseRecommender } from '../../src/recommend/recommender.js';
import { makeCourse, realCourses } from './helpers.js';

const dirs: string[] = [];
function tempFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'streamlens-recommender-'));
  dirs.push(d);
  return join(d, 'nested', 'catalogue.jsonl');
}
const lineCount = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').length;

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('recommender persistence', () => {
  it('a restart keeps the catalogue and answers the same', async () => {
    const file = tempFile();
    const subset = realCourses({ randomCount: 300 });
    const first = await CourseRecommender.open({ store: new CatalogueStore(file) });
    expect(first.size).toBe(0);
    await first.upsertMany(subset);
    await first.upsert(makeCourse());
    const before = first.recommend({ query: 'learn excel for finance', limit: 5 });

    const second = await CourseRecommender.open({ store: new CatalogueStore(file) });
    expect(second.size).toBe(subset.length + 1);
    expect(second.get('900001')?.title).toBe('Quantum Basketweaving Fundamentals');
    const after = second.recommend({ query: 'learn excel for finance', limit: 5 });
    expect(after.results.map((x) => [x.courseId, x.score])).toEqual(before.results.map((x) => [x.courseId, x.score]));
  });

  it('a duplicate course_id updates the course instead of duplicating it, also across a restart', async () => {
    const file = tempFile();
    const r = await CourseRecommender.open({ store: new CatalogueStore(file) });
    expect(await r.add(makeCourse())).toBe('added');
    expect(await r.add(makeCourse({ course_title: 'Quantum Basketweaving Masterclass', price: '45' }))).toBe('updated');
    expect(r.size).toBe(1);
    expect(r.recommend({ query: 'masterclass' }).results.map((x) => x.courseId)).toEqual(['900001']);
    expect(r.recommend({ query: 'fundamentals' }).results).toHaveLength(0);
    expect(lineCount(file)).toBe(2); // appended

    const again = await CourseRecommender.open({ store: new CatalogueStore(file) });
    expect(again.size).toBe(1);
    expect(again.get('900001')?.price).toBe(45);
    expect(lineCount(file)).toBe(1); // compacted on load
  });

  it('compacts while running once superseded lines pile up', async () => {
    const file = tempFile();
    const r = await CourseRecommender.open({ store: new CatalogueStore(file), compactRatio: 2 });
    for (let i = 0; i < 120; i++) await r.upsert(makeCourse({ num_subscribers: String(i) }));
    expect(r.size).toBe(1);
    expect(lineCount(file)).toBeLessThan(110);
    const again = await CourseRecommender.open({ store: new CatalogueStore(file) });
    expect(again.get('900001')?.numSubscribers).toBe(119);
  });

  it('skips a torn or malformed line on load and reports it', async () => {
    const file = tempFile();
    const r = await CourseRecommender.open({ store: new CatalogueStore(file) });
    await r.upsertMany([makeCourse(), makeCourse({ course_id: '900002', course_title: 'Second course' })]);
    appendFileSync(file, '{"courseId":"900003","title":"torn li');
    const again = await CourseRecommender.open({ store: new CatalogueStore(file) });
    expect(again.size).toBe(2);
    expect(again.loaded.badLines).toHaveLength(1);
    expect(again.loaded.badLines[0].line).toBe(3);
  });
});
