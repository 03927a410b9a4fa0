import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';
import { loadCourseDataset } from '../../src/features/course/course-dataset.js';
import { courseOutliers } from '../../src/training/course/course-outliers.js';
import { courseHistograms } from '../../src/training/course/course-densities.js';
import { courseTimeSeries } from '../../src/training/course/course-time-series.js';
import { EXACT, expectClose } from '../analysis/reference.js';

// pandas / scipy / scikit-learn on the shared Udemy CSV: scripts/fixtures/course_report_fixtures.py
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ref: any = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'course-report.json'), 'utf8'));

describe('course report numbers agree with pandas / scipy / scikit-learn on the Udemy CSV', () => {
  const ds = loadCourseDataset();
  const records = ds.records.filter((r) => r.numSubscribers !== undefined && r.subject !== undefined);

  it('uses the same rows', () => expect(records.length).toBe(ref.n));

  it('IQR and z-score outliers per feature: fences, counts and the very courses', () => {
    const got = courseOutliers(records);
    expect(got.map((f) => f.feature)).toEqual(ref.outliers.map((f: { feature: string }) => f.feature));
    for (const e of ref.outliers) {
      const f = got.find((x) => x.feature === e.feature)!;
      expectClose([f.iqr.q1, f.iqr.q3, f.iqr.lower, f.iqr.upper, ...f.iqr.whiskers], [e.q1, e.q3, e.lower, e.upper, ...e.whiskers], EXACT, `${e.feature} fences`);
      expectClose([f.z.mean, f.z.std], [e.mean, e.std], EXACT, `${e.feature} mean/std`);
      expect(f.iqr.count, `${e.feature} IQR count`).toBe(e.iqrCount);
      expect(f.z.count, `${e.feature} z count`).toBe(e.zCount);
      expect([...f.iqr.courseIds].sort()).toEqual(e.iqrCourseIds);
      expect([...f.z.courseIds].sort()).toEqual(e.zCourseIds);
      // the listed courses are flagged ones, most extreme first
      for (const t of f.top) expect(t.iqr || t.zScore).toBe(true);
      for (let i = 1; i < f.top.length; i++) expect(Math.abs(f.top[i - 1].z)).toBeGreaterThanOrEqual(Math.abs(f.top[i].z));
    }
    expect(got.find((f) => f.feature === 'num_subscribers')!.iqr.count).toBeGreaterThan(0);
  });

  it('kernel density estimates of the histograms (Scott) match scipy.stats.gaussian_kde', () => {
    const hs = courseHistograms(records);
    expect(hs.map((h) => h.name).sort()).toEqual(Object.keys(ref.densities).sort());
    for (const h of hs) {
      const e = ref.densities[h.name];
      for (const [g, d] of Object.entries(h.densities)) {
        expectClose(d.x, e.x, 1e-12, `${h.name} grid`);
        expect(d.n).toBe(e[g].n);
        expectClose([d.factor, d.bandwidth], [e[g].factor, e[g].bandwidth], EXACT, `${h.name}/${g} bandwidth`);
        expectClose(d.density, e[g].density, 1e-9, `${h.name}/${g} density`);
      }
    }
  });

  it('monthly series and the seasonal baselines on the held-out last 12 months', () => {
    const ts = courseTimeSeries(records);
    const e = ref.timeSeries;
    expect(ts.months).toEqual(e.months);
    expect(ts.courses).toEqual(e.courses);
    expect(ts.subscribers).toEqual(e.subscribers);
    expect(ts.droppedPartialMonth).toBe(e.droppedPartialMonth);
    expect(ts.holdOutFrom).toBe(e.months[e.months.length - 12]);
    for (const series of ['courses', 'subscribers'] as const) {
      for (const f of ts.forecasts[series]) {
        const r = e.forecasts[series][f.method];
        expectClose(f.forecast, r.forecast, EXACT, `${series} ${f.method}`);
        expectClose([f.errors.mae, f.errors.mape, f.errors.smape], [r.mae, r.mape, r.smape], EXACT, `${series} ${f.method} errors`);
      }
    }
  });
});
