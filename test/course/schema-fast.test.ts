import { readFileSync } from 'node:fs';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/core/random.js';
import { requireDataPath } from '../../src/core/paths.js';
import { validateCourse } from '../../src/features/course/schema.js';

/**
 * validateCourse answers most records without zod (fastParse); whatever it returns must be what
 * the zod schema returns, for valid and invalid records alike.
 */
const rows = parseCsvSync(readFileSync(requireDataPath('udemy/udemy_courses.csv', 'Udemy courses CSV')), { columns: true, skip_empty_lines: true }) as Record<string, string>[];

const VARIANTS: Record<string, unknown[]> = {
  course_id: ['  123 ', 456, 4.5, -7, '', ' ', 'ab c', 'x_y-Z9', null, true, '١٢٣'],
  course_title: ['  Learn X  ', '', '   ', 'a'.repeat(500), 'a'.repeat(501), ' ' + 'b'.repeat(500) + ' ', 42, null, 'C++ & C# 🎹'],
  url: ['', '  ', ' https://x ', undefined, 5, null],
  is_paid: ['True', ' false ', 'YES', 'no', 'paid', 'Free', '1', '0', 1, 0, 2, true, false, 'maybe', '', null],
  price: ['Free', ' free ', '$20', '$ 20', '€5.5', '£0', '20', ' 1e2 ', '-5', '1e400', 'abc', '', 0, 19.99, -1, Infinity, NaN, '$', '$-3', '+7', '.5', '5.', null],
  num_subscribers: ['', ' ', '10', '10.0', '1.5', '-1', 'x', 12, 1.5, -3, 2 ** 53, '9007199254740993', undefined, null],
  num_reviews: ['', '3', ' 4 ', 3.2, '-0', undefined, null],
  num_lectures: ['0', '12', '', '1e3', 7, 7.5, -1, undefined, null],
  level: ['All Levels', 'all', ' BEGINNER  level ', 'Intermediate', 'expert   level', 'Expert', 'pro', '', 3, null],
  content_duration: ['1.5 hours', '35 mins', '1 hour', '90 min', '2h', '3', ' 2.5 ', '10 questions', '-1 hours', 'abc', '', 4, -2, null],
  published_timestamp: ['2017-01-18T20:58:58Z', ' 2016-05-01 ', '2016-05-01T10:00', '2016-02-30', '2099-01-01T00:00:00Z', 'yesterday', '', '2016-05-01T10:00:00+02:00', 5, null],
  subject: ['', '  ', ' Web Development ', 'Musical Instruments', undefined, 7, null],
};

describe('course validation fast path', () => {
  it('equals the zod schema on every real row and on perturbed fields (valid or not)', () => {
    const rng = new SeededRandom(21);
    const fields = Object.keys(VARIANTS);
    let checked = 0;
    let fastOk = 0;
    const check = (raw: Record<string, unknown>) => {
      const a = validateCourse(raw, { now: Date.parse('2020-01-01T00:00:00Z') });
      const b = validateCourse(raw, { now: Date.parse('2020-01-01T00:00:00Z'), schemaOnly: true });
      expect(a, JSON.stringify(raw)).toEqual(b);
      if (a.ok) expect(Object.keys(a.course)).toEqual(Object.keys((b as typeof a).course));
      checked++;
      if (a.ok) fastOk++;
    };
    for (const r of rows) check(r);
    for (let i = 0; i < 4000; i++) {
      const raw: Record<string, unknown> = { ...rows[rng.int(rows.length)] };
      for (let m = 0; m < 1 + rng.int(3); m++) {
        const f = fields[rng.int(fields.length)];
        const v = VARIANTS[f][rng.int(VARIANTS[f].length)];
        if (v === undefined) delete raw[f];
        else raw[f] = v;
      }
      check(raw);
    }
    expect(checked).toBe(rows.length + 4000);
    expect(fastOk).toBeGreaterThan(rows.length);
  });
});
