import { describe, expect, it } from 'vitest';
import { chiSquareIndependence, mcnemar, mcnemarTable } from '../../src/analysis/contingency-tests.js';
import { adjustPValues, benjaminiHochberg, holm } from '../../src/analysis/multiple-comparisons.js';
import { mannWhitneyExactSf, mannWhitneyU } from '../../src/analysis/nonparametric-tests.js';
import {
  fTestEqualVariances,
  oneWayAnova,
  tTestIndependent,
  tTestOneSample,
  tTestPaired,
  zTestOneSample,
  zTestTwoSample,
} from '../../src/analysis/parametric-tests.js';
import { EXACT, PVALUE, expectClose, reference } from './reference.js';

const T = reference.tests;
const { a, b, p1, p2 } = T.samples as Record<string, number[]>;

describe('parametric tests agree with scipy / statsmodels', () => {
  it('z-tests (statsmodels ztest)', () => {
    for (const c of T.z) {
      const r =
        c.kind === 'one'
          ? zTestOneSample(a, { mu: c.mu, alternative: c.alternative })
          : zTestTwoSample(a, b, { diff: c.diff, usevar: c.usevar, alternative: c.alternative });
      const tag = `${c.kind} ${c.usevar ?? ''} ${c.alternative}`;
      expectClose(r.statistic, c.statistic, EXACT, `${tag} statistic`);
      expectClose(r.pValue, c.pValue, PVALUE, `${tag} p`);
      expectClose(r.effectSize.value, c.effect, EXACT, `${tag} effect`);
      expect(r.df).toBeNull();
    }
  });

  it('t-tests (scipy ttest_1samp / ttest_ind / ttest_rel)', () => {
    for (const c of T.t) {
      const r =
        c.kind === 'one'
          ? tTestOneSample(a, { mu: c.mu, alternative: c.alternative })
          : c.kind === 'ind'
            ? tTestIndependent(a, b, { equalVariances: c.equalVariances, alternative: c.alternative })
            : tTestPaired(p1, p2, { alternative: c.alternative });
      const tag = `${c.kind} ${c.equalVariances ?? ''} ${c.alternative}`;
      expectClose(r.statistic, c.statistic, EXACT, `${tag} statistic`);
      expectClose(r.df, c.df, EXACT, `${tag} df`);
      expectClose(r.pValue, c.pValue, PVALUE, `${tag} p`);
      expectClose(r.effectSize.value, c.effect, EXACT, `${tag} effect`);
    }
  });

  it('one-way ANOVA (scipy f_oneway) with eta squared', () => {
    const r = oneWayAnova(T.anova.groups);
    expectClose(r.statistic, T.anova.statistic, EXACT, 'F');
    expect(r.df).toEqual(T.anova.df);
    expectClose(r.pValue, T.anova.pValue, PVALUE, 'p');
    expectClose(r.effectSize.value, T.anova.etaSquared, EXACT, 'eta squared');
  });

  it('two-sided F-test for equal variances', () => {
    const r = fTestEqualVariances(a, b);
    expectClose(r.statistic, T.fTest.statistic, EXACT, 'F');
    expect(r.df).toEqual(T.fTest.df);
    expectClose(r.pValue, T.fTest.pValue, PVALUE, 'p');
  });

  it('zero variance and bad input raise clear errors', () => {
    expect(() => tTestOneSample([2, 2, 2])).toThrow(/constant data/);
    expect(() => tTestIndependent([1, 1], [1, 1], { equalVariances: false })).toThrow(/constant/);
    expect(() => oneWayAnova([[1, 1], [2, 2]])).toThrow(/within-group variance is zero/);
    expect(() => fTestEqualVariances([1, 2, 3], [4, 4, 4])).toThrow(/variance of y/);
    expect(() => tTestOneSample([1, Number.NaN, 3])).toThrow(/x\[1\] is NaN/);
    expect(() => tTestIndependent([], [1, 2])).toThrow(/at least 2 values/);
    expect(() => tTestPaired([1, 2, 3], [1, 2])).toThrow(/equal lengths/);
    expect(() => zTestOneSample([1, 2, 3], { alternative: 'bigger' as never })).toThrow(/alternative/);
  });
});

describe('non-parametric and contingency tests agree with scipy / statsmodels', () => {
  it('Mann-Whitney U with scipy defaults (exact / asymptotic)', () => {
    for (const c of T.mannWhitney) {
      const r = mannWhitneyU(c.x, c.y, { alternative: c.alternative });
      const tag = `${c.name} ${c.alternative}`;
      expectClose(r.statistic, c.statistic, EXACT, `${tag} U`);
      expectClose(r.pValue, c.pValue, PVALUE, `${tag} p`);
      expectClose(r.effectSize.value, c.rankBiserial, EXACT, `${tag} r`);
      expect(r.test).toContain(c.name.startsWith('exact') ? 'exact' : 'asymptotic');
    }
  });

  it('exact U distribution sums to 1 and is symmetric', () => {
    expect(mannWhitneyExactSf(0, 4, 6)).toBe(1);
    // P(U >= k) + P(U >= mn - k + 1) = 1 by symmetry
    for (let k = 1; k <= 24; k++) expect(mannWhitneyExactSf(k, 4, 6) + mannWhitneyExactSf(25 - k, 4, 6)).toBeCloseTo(1, 12);
    expect(() => mannWhitneyU([1, 1], [1, 1, 1])).toThrow(/identical/);
  });

  it('chi-square test of independence (scipy chi2_contingency) with Cramér V', () => {
    for (const c of T.chiSquare) {
      const r = chiSquareIndependence(c.table, { correction: c.correction });
      const tag = `${JSON.stringify(c.table)} correction=${c.correction}`;
      expectClose(r.statistic, c.statistic, EXACT, `${tag} chi2`);
      expect(r.df).toBe(c.df);
      expectClose(r.pValue, c.pValue, PVALUE, `${tag} p`);
      expectClose(r.expected, c.expected, EXACT, `${tag} expected`);
      expectClose(r.effectSize.value, c.cramersV, EXACT, `${tag} V`);
    }
    expect(() => chiSquareIndependence([[1, 0], [2, 0]])).toThrow(/expected frequency at \[0\]\[1\] is zero/);
    expect(() => chiSquareIndependence([[1, -1], [2, 3]])).toThrow(/>= 0/);
  });

  it("McNemar's test (statsmodels mcnemar)", () => {
    for (const c of T.mcnemar) {
      const r = mcnemar(c.table, { exact: c.exact, correction: c.correction });
      const tag = `${JSON.stringify(c.table)} exact=${c.exact} correction=${c.correction}`;
      expectClose(r.statistic, c.statistic, EXACT, `${tag} statistic`);
      expectClose(r.pValue, c.pValue, PVALUE, `${tag} p`);
    }
    expect(() => mcnemar([[5, 0], [0, 5]], { exact: false })).toThrow(/no discordant pairs/);
    expect(mcnemarTable([1, 0, 1, 1], [1, 0, 0, 0], [1, 1, 1, 0])).toEqual([
      [1, 1],
      [1, 1],
    ]);
  });
});

describe('multiple-comparison corrections agree with statsmodels multipletests', () => {
  it('Holm and Benjamini-Hochberg', () => {
    const { pValues, results } = T.multipleTests;
    for (const c of results) {
      const r = adjustPValues(pValues, c.method, c.alpha);
      expect(r.reject, `${c.method} alpha=${c.alpha} reject`).toEqual(c.reject);
      expectClose(r.adjusted, c.adjusted, EXACT, `${c.method} alpha=${c.alpha} adjusted`);
    }
    expect(holm(pValues).adjusted).toEqual(adjustPValues(pValues, 'holm').adjusted);
    expect(benjaminiHochberg(pValues).reject).toEqual(adjustPValues(pValues, 'fdr_bh').reject);
    expect(() => holm([0.1, Number.NaN])).toThrow(/pValues\[1\] is NaN/);
    expect(() => holm([])).toThrow(/no p-values/);
  });
});
