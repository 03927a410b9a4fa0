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
  it('is deterministic; the blend with subject/level affinity beats text-only and popularity-only', async () => {
    const courses = realCourses({ randomCount: 700, seed: 3 });
    const options = { seed: 9, popularityWeights: [0, 0.1], subjectWeights: [0, 0.3, 0.6], levelWeights: [0, 0.2] };
    const a = await evaluateOffline(courses, options);
    const b = await evaluateOffline(courses, options);
    expect(b).toEqual(a);
    expect(a.heldOut).toBe(Math.ceil(0.2 * courses.length));
    expect(a.catalogue + a.heldOut).toBe(courses.length);
    // 2 x 3 x 2 grid points, all summing to <= 1, text only first
    expect(a.tuning.grid).toHaveLength(12);
    expect(a.tuning.grid[0].weights).toEqual({ popularity: 0, subject: 0, level: 0 });
    // non-text weights are taken only with a significant validation gain over text only
    const textOnly = (w: { popularity: number; subject: number; level: number }) => w.popularity === 0 && w.subject === 0 && w.level === 0;
    expect(textOnly(a.tuning.chosenWeights) || a.tuning.bestVsTextOnValidation.pValue < 0.05).toBe(true);
    expect(textOnly(a.tuning.chosenWeights) || a.tuning.chosenWeights === a.tuning.bestWeights).toBe(true);
    // on this subset the subject affinity is a real, significant validation gain and is chosen
    expect(a.tuning.chosenWeights.subject).toBeGreaterThan(0);
    expect(a.tuning.bestVsTextOnValidation.pValue).toBeLessThan(0.05);
    // held out: strictly better than text only (significantly) and than popularity only
    expect(a.blended.ndcgAtK).toBeGreaterThan(a.text.ndcgAtK);
    expect(a.blended.precisionAtK).toBeGreaterThan(a.text.precisionAtK);
    expect(a.blendedVsText.meanDifference).toBeGreaterThan(0);
    expect(a.blendedVsText.pValue).toBeLessThan(0.05);
    expect(a.blended.ndcgAtK).toBeGreaterThan(a.popularity.ndcgAtK);
    expect(a.blended.precisionAtK).toBeGreaterThan(a.popularity.precisionAtK);
    // text ranking finds same subject+level courses far above chance (~0.1 with 4 subjects x 4 levels)
    expect(a.text.precisionAtK).toBeGreaterThan(0.25);
  });

  it('falls back to text only when no grid point beats it significantly', async () => {
    const courses = realCourses({ randomCount: 300, seed: 4 });
    // popularity-only blends do not find same subject+level courses better than the text
    const a = await evaluateOffline(courses, { seed: 2, popularityWeights: [0, 0.9], subjectWeights: [0], levelWeights: [0] });
    expect(a.tuning.chosenWeights).toEqual({ popularity: 0, subject: 0, level: 0 });
    expect(a.blended.perQueryNdcg).toEqual(a.text.perQueryNdcg);
  });

  it('refuses an empty weight grid', async () => {
    await expect(evaluateOffline(realCourses({ randomCount: 50, seed: 1 }), { popularityWeights: [0.6], subjectWeights: [0.6], levelWeights: [0] })).rejects.toThrow(/weight grid is empty/);
  });
});
