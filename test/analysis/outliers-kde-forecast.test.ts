import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';
import { forecastErrors, gaussianKde, holdOutForecast, iqrOutliers, kdeBandwidthFactor, linspace, monthlySeries, seasonalNaiveForecast, zScoreOutliers } from '../../src/analysis/index.js';
import { EXACT, expectClose } from './reference.js';

// pandas / scipy / scikit-learn outputs on a generated sample: scripts/fixtures/course_report_fixtures.py
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ref: any = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'course-report.json'), 'utf8')).synthetic;

describe('outlier rules agree with pandas quantiles and scipy.stats.zscore', () => {
  it('IQR fences, whiskers and flagged indices', () => {
    const r = iqrOutliers(ref.values);
    expectClose({ q1: r.q1, q3: r.q3, iqr: r.iqr, lower: r.lower, upper: r.upper, whiskers: r.whiskers }, { ...ref.iqr, indices: undefined }, EXACT);
    expect(r.indices).toEqual(ref.iqr.indices);
    expect(r.indices.length).toBeGreaterThan(0);
  });

  it('z-scores (ddof 0) and |z| > 3', () => {
    const r = zScoreOutliers(ref.values);
    expectClose(r.z, ref.z.z, EXACT, 'z');
    expectClose([r.mean, r.std], [ref.z.mean, ref.z.std], EXACT);
    expect(r.indices).toEqual(ref.z.indices);
    expect(r.indices.length).toBeGreaterThan(0);
  });

  it('constant data: no IQR outliers, NaN z and none flagged', () => {
    expect(iqrOutliers([4, 4, 4]).indices).toEqual([]);
    const z = zScoreOutliers([4, 4, 4]);
    expect(z.indices).toEqual([]);
    expect(z.z.every(Number.isNaN)).toBe(true);
  });
});

describe('Gaussian KDE agrees with scipy.stats.gaussian_kde', () => {
  const grid = ref.kdeGrid as number[];
  it('linspace matches numpy', () => {
    expectClose(linspace(Math.min(...ref.values), Math.max(...ref.values), 50), grid, 1e-12);
  });
  for (const bw of ['scott', 'silverman', 0.3] as const) {
    it(`bandwidth ${bw}: factor, kernel std and density`, () => {
      const kde = gaussianKde(ref.values, bw);
      const r = ref.kde[String(bw)];
      expectClose([kde.factor, kde.bandwidth], [r.factor, r.bandwidth], EXACT);
      expectClose(kde.evaluate(grid), r.density, 1e-10, 'density');
    });
  }
  it('refuses constant data and bad bandwidths', () => {
    expect(() => gaussianKde([1, 1, 1])).toThrow(/constant/);
    expect(() => kdeBandwidthFactor(10, -1)).toThrow(/positive/);
  });
});

describe('seasonal baselines agree with pandas shift / groupby and scikit-learn errors', () => {
  const series = ref.series as number[];
  for (const horizon of ['12', '7', '18']) {
    it(`horizon ${horizon}`, () => {
      for (const method of ['seasonal-naive', 'seasonal-mean'] as const) {
        const r = holdOutForecast(series, method, { horizon: Number(horizon), season: 12 });
        const e = ref.forecast[horizon][method];
        expectClose(r.forecast, e.forecast, EXACT, `${method} forecast`);
        expectClose([r.errors.mae, r.errors.mape, r.errors.smape], [e.mae, e.mape, e.smape], EXACT, `${method} errors`);
      }
    });
  }
  it('MAPE is NaN when an actual is 0; sMAPE counts 0 vs 0 as no error', () => {
    const e = forecastErrors([0, 2], [0, 1]);
    expect(Number.isNaN(e.mape)).toBe(true);
    expect(e.smape).toBeCloseTo((0 + 2 / 3) / 2, 12);
    expect(() => seasonalNaiveForecast([1, 2], 3, 12)).toThrow(/season/);
  });
});

describe('monthly series', () => {
  it('fills empty months with 0 and says whether the last month is complete', () => {
    const s = monthlySeries(['2020-11-03T10:00:00Z', '2021-01-31T23:59:59.999Z', '2020-11-20T00:00:00Z'], [5, 7, 1]);
    expect(s.months).toEqual(['2020-11', '2020-12', '2021-01']);
    expect(s.count).toEqual([2, 0, 1]);
    expect(s.sum).toEqual([6, 0, 7]);
    expect(s.lastMonthComplete).toBe(true);
    expect(monthlySeries(['2021-01-06T00:00:00Z']).lastMonthComplete).toBe(false);
    expect(monthlySeries(['2021-01-06T00:00:00Z'], undefined, { through: '2021-02-01T00:00:00Z' }).lastMonthComplete).toBe(true);
  });
});
