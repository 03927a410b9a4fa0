import { describe, expect, it } from 'vitest';
import { ndcgAtK, precisionAtK } from '../../src/recommend/ranking-metrics.js';
import { evaluateOffline } from '../../src/recommend/offline-eval.js';
import { realCourses } from './helpers.js';

describe('ranking metrics', () => {
  it('precision@k and nDCG@k on hand-computed cases', () => {
    expect(precisionAtK([true, false, true], 3)).toBeCloseTo(2 / 3, 12);
    expect(precisionAtK([true], 10)).toBeCloseTo(0.1, 12); // short lists count as misses
    // relevant at ranks 1 and 3, 2 relevant exist: (1 + 1/log2(4)) / (1 + 1/log2(3))
    expect(ndcgAtK([true, false, true], 2, 3)).toBeCloseTo((1 + 0.5) / (1 + 1 / Math.log2(3)), 12);
    expect(ndcgAtK([false, true], 1, 10)).toBeCloseTo(1 / Math.log2(3), 12);
    expect(ndcgAtK([true, true], 5, 2)).toBeCloseTo(1, 12);
    expect(ndcgAtK([true], 0, 10)).toBeNaN();
    expect(() => precisionAtK([], 0)).toThrow(/k must be a positive integer/);
  });
});

describe('offline evaluation on a seeded subset of real courses', () => {
  it('is deterministic; blended >= text-only and beats popularity-only', async () => {
    const courses = realCourses({ randomCount: 700, seed: 3 });
    const options = { seed: 9, weights: [0, 0.1, 0.2, 0.3, 0.5] };
    const a = await evaluateOffline(courses, options);
    const b = await evaluateOffline(courses, options);
    expect(b).toEqual(a);
    expect(a.heldOut).toBe(Math.ceil(0.2 * courses.length));
    expect(a.catalogue + a.heldOut).toBe(courses.length);
    expect(a.tuning.weights.map((w) => w.weight)).toEqual(options.weights);
    // a non-zero blend weight is taken only with a significant validation gain over text only
    expect(a.tuning.chosenWeight === 0 || a.tuning.bestVsTextOnValidation.pValue < 0.05).toBe(true);
    expect(a.tuning.chosenWeight === 0 || a.tuning.chosenWeight === a.tuning.bestWeight).toBe(true);
    expect(a.blended.ndcgAtK).toBeGreaterThanOrEqual(a.text.ndcgAtK);
    expect(a.blended.precisionAtK).toBeGreaterThanOrEqual(a.text.precisionAtK);
    expect(a.blended.ndcgAtK).toBeGreaterThan(a.popularity.ndcgAtK);
    expect(a.blended.precisionAtK).toBeGreaterThan(a.popularity.precisionAtK);
    // text ranking finds same subject+level courses far above chance (~0.1 with 4 subjects x 4 levels)
    expect(a.text.precisionAtK).toBeGreaterThan(0.25);
  });
});
