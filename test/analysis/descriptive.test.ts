import { describe, expect, it } from 'vitest';
import {
  correlationMatrix,
  describe as summarize,
  kurtosis,
  mean,
  median,
  mode,
  pearson,
  quantiles,
  skewness,
  spearman,
  std,
  variance,
} from '../../src/analysis/descriptive.js';
import { correlationTest } from '../../src/analysis/correlation-tests.js';
import { meanAbsoluteError, meanSquaredError, r2Score, residuals, rootMeanSquaredError } from '../../src/analysis/regression.js';
import { EXACT, PVALUE, expectClose, reference } from './reference.js';

describe('descriptive statistics agree with pandas / numpy', () => {
  for (const c of reference.descriptive.cases) {
    it(c.name, () => {
      const e = c.expected;
      const v: number[] = c.values;
      expectClose(mean(v), e.mean, EXACT, 'mean');
      expectClose(median(v), e.median, EXACT, 'median');
      expect(mode(v)).toEqual(e.mode);
      expectClose(variance(v), e.variance, EXACT, 'variance');
      expectClose(variance(v, 0), e.variancePopulation, EXACT, 'variance ddof=0');
      expectClose(std(v), e.std, EXACT, 'std');
      expectClose(skewness(v), e.skewness, EXACT, 'skewness');
      expectClose(kurtosis(v), e.kurtosis, EXACT, 'kurtosis');
      expectClose(quantiles(v, reference.descriptive.quantileProbs), e.quantiles, EXACT, 'quantiles');
      expect(summarize(v).count).toBe(v.length);
    });
  }

  for (const c of reference.correlation) {
    it(`correlation: ${c.name}`, () => {
      expectClose(pearson(c.x, c.y), c.expected.pearson, EXACT, 'pearson');
      expectClose(spearman(c.x, c.y), c.expected.spearman, EXACT, 'spearman');
      const p = correlationTest(c.x, c.y, 'pearson');
      const s = correlationTest(c.x, c.y, 'spearman');
      expectClose(p.pValue, c.expected.pearsonP, PVALUE, 'pearson p');
      expectClose(s.pValue, c.expected.spearmanP, PVALUE, 'spearman p');
      expectClose(p.statistic, c.expected.pearson, EXACT, 'pearson r from the test');
      expectClose(s.statistic, c.expected.spearman, EXACT, 'spearman rho from the test');
    });
  }

  it('correlation test refuses constant or mismatched samples with a clear message', () => {
    expect(() => correlationTest([1, 1, 1, 1], [1, 2, 3, 4])).toThrow(/constant/);
    expect(() => correlationTest([1, 2, 3], [1, 2])).toThrow(/equal lengths/);
    expect(() => correlationTest([1, 2, Number.NaN], [1, 2, 3])).toThrow(/x\[2\] is NaN/);
  });

  it('correlation matrix (pandas DataFrame.corr)', () => {
    const m = reference.correlationMatrix;
    const pearsonM = correlationMatrix(m.columns);
    expect(pearsonM.names).toEqual(['energy', 'pitch', 'rating', 'votes']);
    expectClose(pearsonM.matrix, m.pearson, EXACT, 'pearson matrix');
    expectClose(correlationMatrix(m.columns, 'spearman').matrix, m.spearman, EXACT, 'spearman matrix');
  });

  it('rejects NaN, empty input and constant correlation inputs', () => {
    expect(() => mean([])).toThrow(/empty/);
    expect(() => variance([1, Number.NaN, 3])).toThrow(/values\[1\] is NaN/);
    expect(() => quantiles([1, 2], [1.5])).toThrow(/\[0, 1\]/);
    expect(() => pearson([1, 1, 1], [1, 2, 3])).toThrow(/constant/);
    expect(() => pearson([1, 2], [1, 2, 3])).toThrow(/2 entries/);
  });
});

describe('regression metrics agree with scikit-learn', () => {
  for (const c of reference.regression) {
    it(c.name, () => {
      const e = c.expected;
      expectClose(rootMeanSquaredError(c.yTrue, c.yPred), e.rmse, EXACT, 'rmse');
      expectClose(meanSquaredError(c.yTrue, c.yPred), e.mse, EXACT, 'mse');
      expectClose(meanAbsoluteError(c.yTrue, c.yPred), e.mae, EXACT, 'mae');
      expectClose(r2Score(c.yTrue, c.yPred), e.r2, EXACT, 'r2');
      expectClose(residuals(c.yTrue, c.yPred), e.residuals, EXACT, 'residuals');
    });
  }
  it('rejects NaN predictions', () => expect(() => r2Score([1, 2], [1, Number.NaN])).toThrow(/yPred\[1\] is NaN/));
});
