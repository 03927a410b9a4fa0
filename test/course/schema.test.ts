import { describe, expect, it } from 'vitest';
import { enrichCourse } from '../../src/features/course/enrich.js';
import { CourseDeduplicator } from '../../src/features/course/dedup.js';
import { CourseValidationError, parseCourse, parseDurationHours, validateCourse } from '../../src/features/course/schema.js';
import { TfidfVectorizer, fitTfidf, tokenize } from '../../src/features/course/tfidf.js';

const base = {
  course_id: '1070968',
  course_title: 'Ultimate Investment Banking Course',
  url: 'https://www.udemy.com/ultimate-investment-banking-course/',
  is_paid: 'True',
  price: '200',
  num_subscribers: '2147',
  num_reviews: '23',
  num_lectures: '51',
  level: 'All Levels',
  content_duration: '1.5',
  published_timestamp: '2017-01-18T20:58:58Z',
  subject: 'Business Finance',
};
const NOW = Date.parse('2020-01-01T00:00:00Z');

describe('course validation and cleaning', () => {
  it('coerces the real variations', () => {
    const c = parseCourse({ ...base, is_paid: 'true', price: 'Free', content_duration: '35 mins', level: 'beginner level', course_id: 42 }, { now: NOW });
    expect(c).toMatchObject({ courseId: '42', isPaid: true, price: 0, level: 'Beginner Level' });
    expect(c.contentDurationHours).toBeCloseTo(35 / 60, 12);
    expect(parseCourse({ ...base, is_paid: 1, content_duration: '1 hour' }, { now: NOW })).toMatchObject({ isPaid: true, contentDurationHours: 1 });
    expect(parseCourse({ ...base, is_paid: 'False', content_duration: '2.5 hours' }, { now: NOW })).toMatchObject({ isPaid: false, contentDurationHours: 2.5 });
    expect(parseDurationHours('10 questions')).toBe('10 questions');
  });

  it('keeps scoring records without the predicted fields', () => {
    const { num_subscribers, num_reviews, subject, ...rest } = base;
    void num_subscribers;
    void num_reviews;
    void subject;
    const c = parseCourse(rest, { now: NOW });
    expect(c.numSubscribers).toBeUndefined();
    expect(c.subject).toBeUndefined();
  });

  it.each([
    [{ price: '-1' }, 'price', /negative/],
    [{ num_subscribers: '-3' }, 'num_subscribers', /negative/],
    [{ num_lectures: '2.5' }, 'num_lectures', /whole number/],
    [{ published_timestamp: '2031-01-01T00:00:00Z' }, 'published_timestamp', /future/],
    [{ published_timestamp: 'yesterday' }, 'published_timestamp', /ISO 8601/],
    [{ is_paid: 'maybe' }, 'is_paid', /boolean/],
    [{ content_duration: 'long' }, 'content_duration', /duration/],
    [{ course_title: '   ' }, 'course_title', /empty/],
    [{ level: 'Wizard' }, 'level', /expected one of/],
  ])('rejects %j naming the field', (patch, field, message) => {
    const r = validateCourse({ ...base, ...patch }, { now: NOW });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.field).toBe(field);
      expect(r.message).toMatch(message);
      expect(r.message.startsWith(`${field}:`)).toBe(true);
    }
    try {
      parseCourse({ ...base, ...patch }, { now: NOW });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CourseValidationError);
      expect((e as CourseValidationError).reason).toBe('validation');
    }
  });

  it('a missing required field and a non-object are rejected', () => {
    const { course_id, ...rest } = base;
    void course_id;
    expect(validateCourse(rest, { now: NOW })).toMatchObject({ ok: false, field: 'course_id' });
    expect(validateCourse('nope')).toMatchObject({ ok: false, field: '(record)' });
  });
});

describe('enrichment', () => {
  it('derives dates, age, rates, title features', () => {
    const e = enrichCourse(parseCourse(base, { now: NOW }), '2017-07-07T00:00:00Z');
    expect(e).toMatchObject({ publishedYear: 2017, publishedMonth: 1, publishedWeekday: 3, isFree: false, titleWordCount: 4, levelIndex: 0 });
    expect(e.ageDays).toBeCloseTo((Date.parse('2017-07-07T00:00:00Z') - Date.parse(base.published_timestamp)) / 86_400_000, 9);
    expect(e.pricePerHour).toBeCloseTo(200 / 1.5, 12);
    expect(e.lecturesPerHour).toBeCloseTo(51 / 1.5, 12);
    expect(e.titleTokens).toEqual(['ultimate', 'investment', 'banking', 'course']);
    const zero = enrichCourse(parseCourse({ ...base, content_duration: '0' }, { now: NOW }), '2017-07-07');
    expect(zero.pricePerHour).toBeNull();
  });
});

describe('duplicates', () => {
  it('per stream, bounded', () => {
    const d = new CourseDeduplicator({ capacity: 2 });
    expect(d.check('a', '1')).toBe(true);
    expect(d.check('a', '1')).toBe(false);
    expect(d.check('b', '1')).toBe(true);
    expect(d.check('a', '2')).toBe(true); // evicts a/1
    expect(d.remembered).toBe(2);
    expect(d.check('a', '1')).toBe(true);
    expect(() => new CourseDeduplicator({ capacity: 0 })).toThrow(/capacity/);
    const g = new CourseDeduplicator({ scope: 'global' });
    g.check('a', 'x');
    expect(() => g.assertNew('b', 'x')).toThrow(/duplicate course x/);
  });

  it('the same input delivered again (same stream and seq) is not its own duplicate', () => {
    const d = new CourseDeduplicator();
    expect(d.check('a', '1', 5)).toBe(true);
    expect(d.check('a', '1', 5)).toBe(true); // redelivery of input a#5
    expect(d.check('a', '1', 6)).toBe(false); // another input with the same course id
    expect(d.duplicates).toBe(1);
  });
});

describe('TF-IDF', () => {
  it('matches scikit-learn smooth idf, sublinear tf, l2 norm', () => {
    const docs = ['learn piano', 'learn guitar fast', 'piano piano chords'].map(tokenize);
    const v = fitTfidf(docs, { ngramRange: [1, 1], minDf: 1, maxFeatures: 100, sublinearTf: true });
    expect(v.terms).toEqual(['chords', 'fast', 'guitar', 'learn', 'piano']);
    expect(v.idf[3]).toBeCloseTo(Math.log(4 / 3) + 1, 12);
    const x = new TfidfVectorizer(v).transform(tokenize('piano piano chords'));
    const piano = (1 + Math.log(2)) * (Math.log(4 / 3) + 1);
    const chords = Math.log(4 / 2) + 1;
    const n = Math.hypot(piano, chords);
    expect(x.indices).toEqual([0, 4]);
    expect(x.values[0]).toBeCloseTo(chords / n, 12);
    expect(x.values[1]).toBeCloseTo(piano / n, 12);
    expect(tokenize('C++ & C# for .NET')).toEqual(['cplusplus', 'csharp', 'for', 'dotnet']);
  });
});
