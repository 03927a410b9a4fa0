import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';
import { mulberry32 } from '../../src/core/random.js';
import { BASE_COURSE_FEATURES, COURSE_FEATURES, courseFeatureFunctions, type CourseFeatureName } from '../../src/features/course/course-features.js';
import { enrichCourse, type EnrichedCourse } from '../../src/features/course/enrich.js';
import { FeatureSpace, type FeatureSpaceJson } from '../../src/features/course/feature-space.js';
import { COURSE_LEVELS, parseCourse } from '../../src/features/course/schema.js';

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

const REFERENCE = '2017-07-07T00:00:00.000Z';
const REFERENCE_MS = Date.parse(REFERENCE);
const WORDS = ['Learn', 'Python', 'guitar', 'for', 'Beginners', 'Excel', 'trading', 'web', 'design', 'Ünïcödé', '𝄞music', 'and'];
const SUBJECTS = ['Business Finance', 'Graphic Design', 'Musical Instruments', 'Web Development'];

interface Raw {
  title: string;
  paid: boolean;
  price: number;
  lectures: number;
  hours: number;
  level: (typeof COURSE_LEVELS)[number];
  publishedMs: number;
  reviews: number;
  subject: string;
}

function generate(count: number, seed: number): { raw: Raw; course: EnrichedCourse }[] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  return Array.from({ length: count }, (_, i) => {
    const paid = rnd() < 0.8;
    const raw: Raw = {
      title: Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => pick(WORDS)).join(rnd() < 0.2 ? '  ' : ' '),
      paid,
      price: paid ? 5 * Math.floor(rnd() * 40) : 0,
      lectures: Math.floor(rnd() * 200),
      hours: rnd() < 0.05 ? 0 : Math.round(rnd() * 4000) / 100,
      level: pick(COURSE_LEVELS),
      publishedMs: Date.parse('2011-01-01T00:00:00Z') + Math.floor(rnd() * 6.5 * 365 * 86_400_000),
      reviews: Math.floor(rnd() * 3000),
      subject: pick(SUBJECTS),
    };
    const course = parseCourse(
      {
        course_id: String(1000 + i),
        course_title: raw.title,
        is_paid: raw.paid ? 'True' : 'False',
        price: String(raw.price),
        num_subscribers: '10',
        num_reviews: String(raw.reviews),
        num_lectures: String(raw.lectures),
        level: raw.level,
        content_duration: String(raw.hours),
        published_timestamp: new Date(raw.publishedMs).toISOString(),
        subject: raw.subject,
      },
      { now: REFERENCE_MS },
    );
    return { raw, course: enrichCourse(course, REFERENCE) };
  });
}

/** Each feature from the raw generated fields, written independently of enrich.ts and the registry. */
function expectedFeature(name: CourseFeatureName, r: Raw): number {
  const free = !r.paid || r.price === 0;
  const published = new Date(r.publishedMs);
  const byName: Record<CourseFeatureName, () => number> = {
    is_free: () => (free ? 1 : 0),
    price: () => r.price,
    log_price: () => Math.log(1 + r.price),
    log_lectures: () => Math.log(1 + r.lectures),
    log_content_hours: () => Math.log(1 + r.hours),
    log_price_per_hour: () => Math.log(1 + (r.hours > 0 && !free ? r.price / r.hours : 0)),
    log_lectures_per_hour: () => Math.log(1 + (r.hours > 0 ? r.lectures / r.hours : 0)),
    title_length: () => [...r.title].length,
    title_words: () => r.title.split(/\s+/).filter(Boolean).length,
    published_year: () => published.getUTCFullYear(),
    published_month: () => published.getUTCMonth() + 1,
    published_weekday: () => published.getUTCDay(),
    log_age_days: () => Math.log(1 + Math.max(0, (REFERENCE_MS - r.publishedMs) / 86_400_000)),
    level_index: () => COURSE_LEVELS.indexOf(r.level),
    'level=All Levels': () => (r.level === 'All Levels' ? 1 : 0),
    'level=Beginner Level': () => (r.level === 'Beginner Level' ? 1 : 0),
    'level=Intermediate Level': () => (r.level === 'Intermediate Level' ? 1 : 0),
    'level=Expert Level': () => (r.level === 'Expert Level' ? 1 : 0),
    log_reviews: () => Math.log(1 + r.reviews),
  };
  return byName[name]();
}

const records = generate(300, 20);
const FEATURE_NAMES = Object.keys(COURSE_FEATURES) as CourseFeatureName[];

describe('course feature registry on generated records', () => {
  it('computes every feature as its formula over the raw fields', () => {
    for (const { raw, course } of records) {
      for (const name of FEATURE_NAMES) expect(COURSE_FEATURES[name](course), `${name} of "${raw.title}"`).toBeCloseTo(expectedFeature(name, raw), 10);
    }
    // the generated records exercise both sides of the branches
    const free = records.filter((r) => COURSE_FEATURES.is_free(r.course) === 1).length;
    expect(free).toBeGreaterThan(10);
    expect(free).toBeLessThan(records.length - 10);
    expect(records.some((r) => r.raw.hours === 0)).toBe(true);
  });

  it('has one level one-hot per level, exactly one of them 1 per record', () => {
    const oneHots = FEATURE_NAMES.filter((n) => n.startsWith('level='));
    expect(oneHots).toEqual(COURSE_LEVELS.map((l) => `level=${l}`));
    for (const { raw, course } of records) {
      const on = oneHots.filter((n) => COURSE_FEATURES[n](course) === 1);
      expect(on).toEqual([`level=${raw.level}`]);
    }
  });
});

describe('feature space from a list of registry features, on generated records', () => {
  const list: CourseFeatureName[] = ['log_price', 'level=Expert Level', 'title_words', 'is_free', 'log_age_days'];
  const settings = { numeric: list, subjects: SUBJECTS, tfidf: null };
  const courses = records.map((r) => r.course);

  it('standardises each listed feature with its training mean and population std, in list order, then the subjects', () => {
    const space = FeatureSpace.fit(courses, settings);
    expect(space.columns).toEqual([...list, ...SUBJECTS.map((s) => `subject=${s}`)]);
    const columns = [...list.map((n) => records.map((r) => expectedFeature(n, r.raw))), ...SUBJECTS.map((s) => records.map((r) => (r.raw.subject === s ? 1 : 0)))];
    columns.forEach((values, j) => {
      const mean = values.reduce((a, v) => a + v, 0) / values.length;
      const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
      expect(space.json.mean[j]).toBeCloseTo(mean, 9);
      expect(space.json.std[j]).toBeCloseTo(std, 9);
    });
    const m = space.transform(courses);
    records.forEach((r, i) => {
      const dense = new Array(space.columns.length).fill(0);
      const row = space.row(r.course);
      row.indices.forEach((c, k) => (dense[c] = row.values[k]));
      columns.forEach((values, j) => expect(dense[j]).toBeCloseTo((values[i] - space.json.mean[j]) / space.json.std[j], 9));
      // transform gives the same row
      expect(Array.from(m.indices.subarray(m.indptr[i], m.indptr[i + 1]))).toEqual(row.indices);
      expect(Array.from(m.values.subarray(m.indptr[i], m.indptr[i + 1]))).toEqual(row.values);
    });
  });

  it('follows the list: the same names in another order give the same columns permuted', () => {
    const a = FeatureSpace.fit(courses, settings);
    const b = FeatureSpace.fit(courses, { ...settings, numeric: [...list].reverse() });
    const denseOf = (s: FeatureSpace, c: EnrichedCourse) => {
      const d: Record<string, number> = {};
      const row = s.row(c);
      row.indices.forEach((j, k) => (d[s.columns[j]] = row.values[k]));
      return d;
    };
    for (const c of courses.slice(0, 40)) expect(denseOf(b, c)).toEqual(denseOf(a, c));
  });

  it('rebuilds the shipped models\u2019 numeric blocks from their stored lists', () => {
    for (const version of ['3', '4']) {
      const bundle = JSON.parse(readFileSync(join(repoRoot, 'models', 'course', version, 'model.json'), 'utf8')) as Record<string, { featureSpace: FeatureSpaceJson }>;
      for (const task of ['subject', 'popularity', 'subscribers']) {
        const json = bundle[task].featureSpace;
        const space = new FeatureSpace(json);
        const names = json.settings.numeric as CourseFeatureName[];
        expect(names.length).toBeGreaterThan(10);
        expect(space.columns.slice(0, names.length)).toEqual(names);
        for (const r of records.slice(0, 60)) {
          const row = space.row(r.course);
          const dense = new Map(row.indices.map((c, k) => [c, row.values[k]]));
          names.forEach((n, j) => expect(dense.get(j) ?? 0, `${version}/${task}/${n}`).toBeCloseTo((expectedFeature(n, r.raw) - json.mean[j]) / json.std[j], 9));
        }
      }
    }
  });
});
