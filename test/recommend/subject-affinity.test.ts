import { beforeAll, describe, expect, it } from 'vitest';
import { NaiveBayesAffinity } from '../../src/recommend/label-affinity.js';
import { CourseRecommender } from '../../src/recommend/recommender.js';
import { makeCourse, realCourses } from './helpers.js';

describe('incremental multinomial naive Bayes', () => {
  it('matches a hand computation (alpha 1, prior n + 1)', () => {
    const nb = new NaiveBayesAffinity();
    nb.add(0, ['a', 'b']);
    nb.add(0, ['a']);
    nb.add(1, ['c']);
    // label 0: (2 + 1) * (2 + 1) / (3 + 3) = 1.5; label 1: (1 + 1) * (0 + 1) / (1 + 3) = 0.5
    const p = nb.posterior(['a'], 2);
    expect(p.probabilities[0]).toBeCloseTo(0.75, 12);
    expect(p.probabilities[1]).toBeCloseTo(0.25, 12);
    expect(p.best).toBe(0);
    // unseen words add nothing; a label code without documents gets 0
    const q = nb.posterior(['a', 'never-seen'], 3);
    expect(q.probabilities[0]).toBeCloseTo(0.75, 12);
    expect(q.probabilities[2]).toBe(0);
    expect(new NaiveBayesAffinity().posterior(['a'], 2).best).toBe(-1);
  });

  it('remove undoes add exactly; bad input is refused', () => {
    const nb = new NaiveBayesAffinity();
    nb.add(0, ['guitar', 'lessons']);
    nb.add(1, ['excel', 'finance']);
    const before = nb.posterior(['guitar', 'excel'], 2);
    nb.add(1, ['guitar', 'finance', 'guitar']);
    nb.remove(1, ['guitar', 'finance', 'guitar']);
    expect(nb.posterior(['guitar', 'excel'], 2)).toEqual(before);
    expect(nb.vocabularySize).toBe(4);
    expect(() => nb.remove(3, ['x'])).toThrow(/no document of label 3/);
    expect(() => nb.add(-1, ['x'])).toThrow(/non-negative integer/);
    expect(() => new NaiveBayesAffinity(0)).toThrow(/smoothing must be > 0/);
  });
});

describe('subject affinity in the recommender (real Udemy rows)', () => {
  const courses = realCourses({ mustContain: ['python', 'piano', 'guitar', 'excel'], randomCount: 300, seed: 8 });
  let r: CourseRecommender;
  beforeAll(async () => {
    r = new CourseRecommender();
    await r.upsertMany(courses);
  });

  it('P(subject | query) is learned from the catalogue titles', () => {
    expect(r.subjectAffinity('learn piano chords')[0].subject).toBe('Musical Instruments');
    expect(r.subjectAffinity('python django')[0].subject).toBe('Web Development');
    expect(r.subjectAffinity('excel financial modeling')[0].subject).toBe('Business Finance');
    const all = r.subjectAffinity('python django');
    expect(all.reduce((s, x) => s + x.probability, 0)).toBeCloseTo(1, 9);
    expect(r.levelAffinity('advanced excel').reduce((s, x) => s + x.probability, 0)).toBeCloseTo(1, 9);
  });

  it('reasons and components carry the subject affinity of each result', () => {
    const res = r.recommend({ query: 'python web development' });
    expect(res.subjectGuess?.subject).toBe('Web Development');
    for (const rec of res.results) {
      const reason = rec.reasons.find((s) => s.includes(`subject ${rec.subject} (p=`));
      expect(reason).toBeDefined();
      expect(reason).toContain(`p=${rec.components.subjectAffinity.toFixed(2)}`);
      expect(rec.components.subjectWeight).toBe(r.weights.subject);
    }
    expect(res.results[0].reasons).toContain(`matches subject Web Development (p=${res.results[0].components.subjectAffinity.toFixed(2)}, weight ${r.weights.subject.toFixed(2)})`);
    expect(res.results[0].components.subjectAffinity).toBeGreaterThan(0.5);
  });

  it('the subject weight lifts same-subject courses above better text matches of another subject', () => {
    // "piano" titles are Musical Instruments; "for beginners" matches every subject
    const q = { query: 'piano for beginners', limit: 20 };
    const count = (w: { popularity: number; subject: number; level: number }) => r.rank(q, 'blended', w).results.filter((x) => x.subject === 'Musical Instruments').length;
    expect(count({ popularity: 0, subject: 0.6, level: 0 })).toBeGreaterThan(count({ popularity: 0, subject: 0, level: 0 }));
  });

  it('fills up few text matches with popular courses of the most probable subject (blended only)', () => {
    const pianoOnly = courses.filter((c) => c.titleTokens.includes('piano')).length;
    const q = { query: 'piano', limit: pianoOnly + 5 };
    const blended = r.rank(q, 'blended');
    expect(blended.candidates).toBe(q.limit);
    const extra = blended.results.filter((x) => !x.matchingTerms.includes('piano'));
    expect(extra).toHaveLength(5);
    for (const x of extra) {
      expect(x.subject).toBe('Musical Instruments');
      expect(x.components.text).toBe(0);
      expect(x.reasons[0]).toMatch(/no title word matches/);
    }
    expect(r.rank(q, 'text').candidates).toBe(pianoOnly);
  });

  it('refuses blend weights outside 0..1 or summing above 1', () => {
    expect(() => new CourseRecommender({ subjectWeight: 0.7, levelWeight: 0.2, popularityWeight: 0.2 })).toThrow(/blend weights sum to 1.0999.*at most 1/);
    expect(() => new CourseRecommender({ subjectWeight: -0.1 })).toThrow(/subject weight must be between 0 and 1/);
    expect(() => r.rank({ query: 'piano', limit: 5 }, 'blended', { popularity: 0.5, subject: 0.6, level: 0 })).toThrow(/at most 1/);
  });
});

describe('subject affinity stays live as courses stream in', () => {
  it('learns a new word on add and moves counts on an upsert that changes the subject', async () => {
    const base = realCourses({ randomCount: 200, seed: 6 });
    const live = new CourseRecommender();
    await live.upsertMany(base);
    const word = 'basketweaving';
    expect(live.subjectAffinity(word)[0].probability).toBeLessThan(0.9);
    const woven = (id: string, subject: string) => makeCourse({ course_id: id, course_title: `Quantum Basketweaving Part ${id}`, subject });
    await live.upsertMany([woven('900001', 'Graphic Design'), woven('900002', 'Graphic Design'), woven('900003', 'Graphic Design')]);
    expect(live.subjectAffinity(word)[0].subject).toBe('Graphic Design');
    // re-label all three: the old counts are removed, not left behind
    await live.upsertMany([woven('900001', 'Musical Instruments'), woven('900002', 'Musical Instruments'), woven('900003', 'Musical Instruments')]);
    expect(live.subjectAffinity(word)[0].subject).toBe('Musical Instruments');
    const fresh = new CourseRecommender();
    await fresh.upsertMany(live.catalogue());
    expect(live.subjectAffinity(`${word} guitar excel`)).toEqual(fresh.subjectAffinity(`${word} guitar excel`));
    expect(live.levelAffinity(`${word} guitar excel`)).toEqual(fresh.levelAffinity(`${word} guitar excel`));
  });
});
