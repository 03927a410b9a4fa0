import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CoursePredictor } from '../../src/inference/course/course-predictor.js';
import { recommendCommand } from '../../src/recommend/commands.js';
import { coursePopularityScorer, resolvePopularityScorer } from '../../src/recommend/model-popularity.js';
import { CourseRecommender } from '../../src/recommend/recommender.js';
import { defaultCourseDataPath } from '../../src/features/course/course-dataset.js';
import { makeCourse } from './helpers.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'streamlens-rec-src-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('popularity source', () => {
  it('falls back to the subscriber prior when the repository has no course model', async () => {
    const scorer = await resolvePopularityScorer({ modelsRoot: tempDir() });
    expect(scorer.source).toBe('subscriber-prior');
  });

  it("uses the course model's predicted probability and says so in the reasons", async () => {
    const probability: Record<string, number> = { a: 0.9, b: 0.2 };
    const predictor = {
      version: '3',
      referenceDate: '2017-07-07T00:00:00.000Z',
      predict: (records: { courseId: string }[]) => records.map((r) => ({ courseId: r.courseId, popularity: { probability: probability[r.courseId] } })),
    } as unknown as CoursePredictor;
    const r = new CourseRecommender({ popularity: coursePopularityScorer(predictor), popularityWeight: 0.5, subjectWeight: 0.3, levelWeight: 0.2 });
    // b has far more subscribers; the model says a is the popular one
    await r.upsertMany([makeCourse({ course_id: 'a', course_title: 'Piano Basics', num_subscribers: '5' }), makeCourse({ course_id: 'b', course_title: 'Piano Basics', num_subscribers: '50000' })]);
    const res = r.recommend({ query: 'piano' });
    expect(res.results.map((x) => x.courseId)).toEqual(['a', 'b']);
    // the score used in the blend, and the scale a user reads: percentile among the courses, subscribers beside it
    expect(res.results[0].popularity).toEqual({ value: 0.9, source: 'course-model', percentile: 100, subscribers: 5 });
    expect(res.results[1].popularity).toEqual({ value: 0.2, source: 'course-model', percentile: 0, subscribers: 50000 });
    expect(res.results[1].reasons).toContain('popularity: 0th percentile of the 2 courses, 50,000 subscribers (score 0.20 predicted by the course popularity model; weight 0.50)');
    expect(res.results[0].reasons.some((s) => s.includes('predicted by the course popularity model'))).toBe(true);
    expect(res.catalogue.popularitySource).toBe('course-model');
  });
});

describe('recommendCommand', () => {
  it('builds the catalogue in memory from the CSV through the pipeline and says so; writes nothing', async () => {
    const dir = tempDir();
    const csv = guitarCsv(dir);
    const stdout = vi.spyOn(process.stdout, 'write');
    const r = await recommendCommand({ query: 'guitar lessons', maxPrice: 50, data: csv, models: join(dir, 'no-models') });
    expect(stdout).not.toHaveBeenCalled(); // the CLI prints the result, once
    expect(r.results.length).toBeGreaterThan(0);
    expect(r.results.every((x) => x.price <= 50 && x.matchingTerms.some((t) => t === 'guitar' || t === 'lessons'))).toBe(true);
    expect(r.catalogue).toMatchObject({ source: 'csv', path: csv, live: false, popularitySource: 'subscriber-prior' });
    expect(readdirSync(dir)).toEqual(['courses.csv']);
    await expect(recommendCommand({ query: 'guitar', maxPrice: -1, data: csv, models: join(dir, 'no-models') })).rejects.toThrow(/^maxPrice: budget cannot be negative/);
  });

  it('with a snapshot file: builds it from the CSV once, then answers from it', async () => {
    const dir = tempDir();
    const csv = guitarCsv(dir);
    const catalogue = join(dir, 'snap', 'catalogue.jsonl');
    const opts = { query: 'guitar lessons', maxPrice: 50, data: csv, catalogue, models: join(dir, 'no-models') };
    const first = await recommendCommand(opts);
    expect(first.catalogue).toMatchObject({ source: 'snapshot', path: catalogue });
    const saved = readFileSync(catalogue, 'utf8').trim().split('\n').length;
    expect(saved).toBe(first.catalogue.size);
    // second run reads the snapshot (the CSV is gone)
    rmSync(csv);
    const second = await recommendCommand(opts);
    expect(second.catalogue).toMatchObject({ source: 'snapshot', size: first.catalogue.size });
    expect(second.results.map((x) => x.courseId)).toEqual(first.results.map((x) => x.courseId));
  });
});

function guitarCsv(dir: string): string {
  const lines = readFileSync(defaultCourseDataPath(), 'utf8').split('\n');
  const csv = join(dir, 'courses.csv');
  writeFileSync(csv, [lines[0], ...lines.slice(1).filter((l) => /guitar|piano/i.test(l)).slice(0, 60)].join('\n') + '\n');
  return csv;
}
