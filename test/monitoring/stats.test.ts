import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { chiSquareGoodnessOfFit, histogram, jensenShannon, kolmogorovSf, ksAgainstQuantiles, psi, quantileEdges, refCdf, wassersteinScaled } from '../../src/monitoring/stats.js';
import { buildReference, QUANTILE_PROBS } from '../../src/monitoring/reference.js';
import { detectDrift } from '../../src/monitoring/detect.js';

function normals(n: number, mean: number, sd: number, seed: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

describe('drift statistics (hand-computed values)', () => {
  it('PSI: shares 0.5/0.5 vs counts 60/40 = 0.1 ln 1.2 + 0.1 ln 1.25', () => {
    expect(psi([0.5, 0.5], [60, 40])).toBeCloseTo(0.1 * Math.log(1.2) + 0.1 * Math.log(1.25), 12);
    expect(psi([0.25, 0.25, 0.5], [25, 25, 50])).toBeCloseTo(0, 12);
  });
  it('Jensen-Shannon distance: 0 for equal, 1 for disjoint (log 2)', () => {
    expect(jensenShannon([0.3, 0.7], [30, 70])).toBeCloseTo(0, 12);
    expect(jensenShannon([1, 0], [0, 5])).toBeCloseTo(1, 12);
  });
  it('chi-squared goodness of fit: 30/20 against 0.5/0.5 is 2 on 1 df, p = 0.1573', () => {
    const r = chiSquareGoodnessOfFit([0.5, 0.5], [30, 20]);
    expect(r.statistic).toBeCloseTo(2, 12);
    expect(r.df).toBe(1);
    expect(r.pValue).toBeCloseTo(0.157299, 5);
  });
  it('Kolmogorov tail matches tabulated values and is continuous where the two series meet', () => {
    expect(kolmogorovSf(1.0)).toBeCloseTo(0.2699997, 6);
    expect(kolmogorovSf(1.358)).toBeCloseTo(0.05, 3);
    expect(kolmogorovSf(0.5)).toBeCloseTo(0.963945, 5);
    expect(Math.abs(kolmogorovSf(1.18 - 1e-9) - kolmogorovSf(1.18 + 1e-9))).toBeLessThan(1e-8);
  });
  it('KS distance against a uniform reference: batch 0.5,0.6,0.7,0.8 gives D = 0.5', () => {
    const ref = { probs: [0, 1], values: [0, 1], n: 1e9 };
    expect(refCdf(ref, 0.25)).toBeCloseTo(0.25, 12);
    const r = ksAgainstQuantiles(ref, [0.5, 0.6, 0.7, 0.8]);
    expect(r.statistic).toBeCloseTo(0.5, 12);
    // n -> infinity: en = sqrt(4) = 2, p = Q((2 + 0.12 + 0.055) * 0.5)
    expect(r.pValue).toBeCloseTo(kolmogorovSf((2 + 0.12 + 0.11 / 2) * 0.5), 6);
  });
  it('quantile edges give equal-frequency bins; Wasserstein of a shift by one IQR reads 1', () => {
    const v = Array.from({ length: 1000 }, (_, i) => i);
    const e = quantileEdges(v, 10);
    expect(e).toHaveLength(9);
    expect(histogram(v, e)).toEqual(new Array(10).fill(100));
    const ref = { probs: QUANTILE_PROBS, values: QUANTILE_PROBS.map((p) => p * 999) };
    const iqr = 0.5 * 999;
    expect(wassersteinScaled(ref, v.map((x) => x + iqr))).toBeCloseTo(1, 2);
  });
});

describe('detectDrift', () => {
  const train = buildReference(
    { model: 'toy', version: '1', media: 'course', unit: 'record', source: { data: 'synthetic', split: 'train', items: 2000 } },
    { numeric: { a: normals(2000, 0, 1, 1), b: normals(2000, 5, 2, 2) }, categorical: { c: normals(2000, 0, 1, 3).map((x) => (x > 0.5 ? 'x' : 'y')) } },
    ['p', 'q'],
    { labels: normals(2000, 0, 1, 4).map((x) => (x > 0 ? 'p' : 'q')), confidences: new Array(2000).fill(0.8), unknown: new Array(2000).fill(false) },
  );
  it('same distribution: no drift', () => {
    const r = detectDrift(train, { numeric: { a: normals(500, 0, 1, 11), b: normals(500, 5, 2, 12) }, categorical: { c: normals(500, 0, 1, 13).map((x) => (x > 0.5 ? 'x' : 'y')) } });
    expect(r.drift).toBe(false);
    expect(r.features.every((f) => f.score < 0.1)).toBe(true);
  });
  it('a shifted numeric feature and a changed category mix drift; the others do not', () => {
    const r = detectDrift(train, { numeric: { a: normals(500, 1, 1, 21), b: normals(500, 5, 2, 22) }, categorical: { c: normals(500, 0, 1, 23).map((x) => (x > -0.5 ? 'x' : 'y')) } });
    expect(r.drift).toBe(true);
    expect(r.features.filter((f) => f.drift).map((f) => f.name)).toEqual(['a', 'c']);
    expect(r.driftingFeatures).toBe(2);
  });
  it('too few observations give no decision', () => {
    const r = detectDrift(train, { numeric: { a: normals(10, 3, 1, 31), b: normals(10, 5, 2, 32) }, categorical: { c: ['x'] } });
    expect(r.insufficient).toBe(true);
    expect(r.drift).toBe(false);
  });
  it('predicted-label shares that change drift', () => {
    const n = 400;
    const r = detectDrift(train, { numeric: { a: normals(n, 0, 1, 41), b: normals(n, 5, 2, 42) }, categorical: {} }, { labels: new Array(n).fill('p'), confidences: new Array(n).fill(0.6), unknown: new Array(n).fill(false) });
    expect(r.predictions?.drift).toBe(true);
    expect(r.predictions?.maxShareChange).toBeGreaterThan(0.4);
    expect(r.drift).toBe(true);
  });
});
