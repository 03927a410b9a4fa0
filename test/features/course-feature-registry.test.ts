import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';
import { BASE_COURSE_FEATURES, COURSE_FEATURES, courseFeatureFunctions } from '../../src/features/course/course-features.js';
import { enrichCourse } from '../../src/features/course/enrich.js';
import { FeatureSpace } from '../../src/features/course/feature-space.js';
import { parseCourse } from '../../src/features/course/schema.js';

const NOW = Date.parse('2020-01-01T00:00:00Z');
const raw = (i: number) => ({
  course_id: String(1000 + i),
  course_title: `${'Learn '.repeat(i % 3)}Course number ${i} on ${['guitar', 'finance', 'design'][i % 3]}`,
  url: `https://www.udemy.com/course-${i}/`,
  is_paid: i % 4 === 0 ? 'False' : 'True',
  price: i % 4 === 0 ? '0' : String(20 + 15 * i),
  num_subscribers: String(100 * i),
  num_reviews: String(3 * i),
  num_lectures: String(5 + i),
  level: ['All Levels', 'Beginner Level', 'Intermediate Level', 'Expert Level'][i % 4],
  content_duration: String(1 + i / 2),
  published_timestamp: `201${i % 8}-0${1 + (i % 9)}-1${i % 9}T10:00:00Z`,
  subject: 'Musical Instruments',
});
const record = (i: number) => enrichCourse(parseCourse(raw(i), { now: NOW }), '2020-01-01');

describe('course feature registry', () => {
  it('each feature is a pure function of the enriched record', () => {
    const c = record(5); // paid, 95, 10 lectures, 3.5 h, Beginner
    expect(COURSE_FEATURES.is_free(c)).toBe(0);
    expect(COURSE_FEATURES.price(c)).toBe(95);
    expect(COURSE_FEATURES.log_price(c)).toBeCloseTo(Math.log1p(95), 12);
    expect(COURSE_FEATURES.log_lectures(c)).toBeCloseTo(Math.log1p(10), 12);
    expect(COURSE_FEATURES.log_content_hours(c)).toBeCloseTo(Math.log1p(3.5), 12);
    expect(COURSE_FEATURES.level_index(c)).toBe(1);
    expect(COURSE_FEATURES['level=Beginner Level'](c)).toBe(1);
    expect(COURSE_FEATURES['level=All Levels'](c)).toBe(0);
    expect(COURSE_FEATURES.log_reviews(c)).toBeCloseTo(Math.log1p(15), 12);
    expect(COURSE_FEATURES.is_free(record(4))).toBe(1);
    expect(COURSE_FEATURES.published_year(c)).toBe(2015);
    // The same record twice gives the same values (no hidden state).
    for (const f of Object.values(COURSE_FEATURES)) expect(f(record(5))).toBe(f(c));
  });

  it('the base list leaves out num_reviews, which a new course lacks; log_reviews says so', () => {
    expect(BASE_COURSE_FEATURES).not.toContain('log_reviews');
    expect(BASE_COURSE_FEATURES.length).toBe(Object.keys(COURSE_FEATURES).length - 1);
    const { num_reviews, ...noReviews } = raw(2);
    void num_reviews;
    const c = enrichCourse(parseCourse(noReviews, { now: NOW }), '2020-01-01');
    expect(() => COURSE_FEATURES.log_reviews(c)).toThrow(/num_reviews is missing/);
  });

  it('unknown names are refused, naming them and the known ones', () => {
    expect(() => courseFeatureFunctions(['price', 'colour', 'size'])).toThrow(/unknown course feature\(s\) colour, size; known: is_free, price/);
    const space = FeatureSpace.fit([record(1), record(2)], { numeric: ['price'], subjects: null, tfidf: null });
    expect(() => new FeatureSpace({ ...space.json, settings: { ...space.json.settings, numeric: ['prize'] } })).toThrow(/unknown course feature\(s\) prize/);
    expect(() => FeatureSpace.fit([record(1)], { numeric: ['prize'], subjects: null, tfidf: null })).toThrow(/unknown course feature\(s\) prize/);
  });

  it('a feature space is built from its list: standardised registry values, in list order', () => {
    const records = Array.from({ length: 12 }, (_, i) => record(i));
    const names = ['log_price', 'level=Expert Level', 'title_words'];
    const space = FeatureSpace.fit(records, { numeric: names, subjects: null, tfidf: null });
    expect(space.columns).toEqual(names);
    const fns = courseFeatureFunctions(names);
    const values = records.map((r) => fns.map((f) => f(r)));
    const mean = names.map((_, j) => values.reduce((a, v) => a + v[j], 0) / values.length);
    const std = names.map((_, j) => Math.sqrt(values.reduce((a, v) => a + (v[j] - mean[j]) ** 2, 0) / values.length));
    const r = records[7];
    const row = space.row(r);
    const dense = new Array(names.length).fill(0);
    row.indices.forEach((k, i) => (dense[k] = row.values[i]));
    names.forEach((_, j) => expect(dense[j]).toBeCloseTo((fns[j](r) - mean[j]) / std[j], 12));
  });

  it("every shipped course model's feature spaces name registry features only", () => {
    for (const version of ['3', '4']) {
      const bundle = JSON.parse(readFileSync(join(repoRoot, 'models', 'course', version, 'model.json'), 'utf8'));
      for (const task of ['subject', 'popularity', 'subscribers']) {
        const space = new FeatureSpace(bundle[task].featureSpace);
        expect(space.numericCount).toBeGreaterThanOrEqual(bundle[task].featureSpace.settings.numeric.length);
        expect(space.row(record(3)).indices.length).toBeGreaterThan(0);
      }
    }
  });
});
