import { readFileSync } from 'node:fs';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { SeededRandom } from '../../src/core/random.js';
import { type EnrichedCourse, enrichCourse } from '../../src/features/course/enrich.js';
import { parseCourse, validateCourse } from '../../src/features/course/schema.js';
import { defaultCourseDataPath } from '../../src/features/course/course-dataset.js';

export const REFERENCE_DATE = '2017-07-07T00:00:00.000Z';

let rows: Record<string, string>[] | undefined;

/**
 * A seeded subset of the real Udemy rows through the course pipeline's validation and
 * enrichment: every row whose title contains one of `mustContain` (with its distractors from
 * other subjects) plus `randomCount` random others. Duplicated course ids keep the first row.
 */
export function realCourses(options: { randomCount?: number; mustContain?: string[]; seed?: number } = {}): EnrichedCourse[] {
  rows ??= parseCsvSync(readFileSync(defaultCourseDataPath(), 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const words = (options.mustContain ?? []).map((w) => w.toLowerCase());
  const picked = new Set<number>();
  rows.forEach((r, i) => {
    const t = r.course_title.toLowerCase();
    if (words.some((w) => t.includes(w))) picked.add(i);
  });
  const rng = new SeededRandom(options.seed ?? 5);
  const order = rng.shuffle(rows.map((_, i) => i));
  let extra = options.randomCount ?? 400;
  for (const i of order) {
    if (extra === 0) break;
    if (!picked.has(i)) {
      picked.add(i);
      extra--;
    }
  }
  const seen = new Set<string>();
  const out: EnrichedCourse[] = [];
  for (const i of [...picked].sort((a, b) => a - b)) {
    const v = validateCourse(rows[i], { now: Date.parse(REFERENCE_DATE) });
    if (!v.ok || seen.has(v.course.courseId)) continue;
    seen.add(v.course.courseId);
    out.push(enrichCourse(v.course, REFERENCE_DATE));
  }
  return out;
}

/** One course through the real validation + enrichment, from raw column values. */
export function makeCourse(overrides: Record<string, unknown> = {}): EnrichedCourse {
  const raw = {
    course_id: '900001',
    course_title: 'Quantum Basketweaving Fundamentals',
    url: 'https://www.udemy.com/quantum-basketweaving/',
    is_paid: 'True',
    price: '20',
    num_subscribers: '100',
    num_reviews: '5',
    num_lectures: '10',
    level: 'Beginner Level',
    content_duration: '2 hours',
    published_timestamp: '2016-05-01T10:00:00Z',
    subject: 'Graphic Design',
    ...overrides,
  };
  return enrichCourse(parseCourse(raw, { now: Date.parse(REFERENCE_DATE) }), REFERENCE_DATE);
}
