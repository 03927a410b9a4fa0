import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCourseDataset } from '../../src/features/course/course-dataset.js';
import { courseStatistics } from '../../src/training/course/course-statistics.js';

// Reference numbers from pandas / scipy: scripts/fixtures/course_stats.py
const ref = JSON.parse(readFileSync(new URL('../fixtures/course-stats.json', import.meta.url), 'utf8'));

function close(actual: number, expected: number, rel = 1e-9) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));
}

describe('course statistics agree with pandas and scipy', () => {
  const ds = loadCourseDataset();
  const s = courseStatistics(ds.records);

  it('cleans the same rows', () => {
    expect(ds.records.length).toBe(ref.n);
  });

  it('feature statistics (mean, median, mode, variance, std, skewness, kurtosis)', () => {
    for (const r of ref.features) {
      const f = s.features.find((x) => x.feature === r.feature)!;
      expect(f, r.feature).toBeDefined();
      expect(f.n).toBe(r.n);
      for (const k of ['mean', 'median', 'mode', 'variance', 'std', 'skewness', 'kurtosis'] as const) close(f[k], r[k], 1e-8);
    }
  });

  it('t-tests, ANOVA and chi-square with effect sizes', () => {
    close(s.tests.tTestWelch.statistic, ref.tTestWelch.statistic);
    close(s.tests.tTestWelch.pValue, ref.tTestWelch.pValue, 1e-6);
    close(s.tests.tTestWelch.df as number, ref.tTestWelch.df);
    close(s.tests.tTestWelch.effectSize.value, ref.tTestWelch.cohensD);
    close(s.tests.tTestStudent.statistic, ref.tTestStudent.statistic);
    close(s.tests.tTestStudent.pValue, ref.tTestStudent.pValue, 1e-6);
    close(s.tests.anova.statistic, ref.anova.statistic);
    expect(Math.abs(s.tests.anova.pValue - ref.anova.pValue)).toBeLessThan(1e-12);
    close(s.tests.anova.effectSize.value, ref.anova.etaSquared);
    expect(s.tests.chiSquare.table).toEqual(ref.chiSquare.table);
    expect(s.tests.chiSquare.rows).toEqual(ref.chiSquare.rows);
    close(s.tests.chiSquare.statistic, ref.chiSquare.statistic);
    expect(s.tests.chiSquare.df).toBe(ref.chiSquare.df);
    expect(Math.abs(s.tests.chiSquare.pValue - ref.chiSquare.pValue)).toBeLessThan(1e-12);
    close(s.tests.chiSquare.effectSize.value, ref.chiSquare.cramersV);
  });

  it('reads each test in plain words', () => {
    expect(s.tests.tTestWelch.reading).toMatch(/Type (I|II) risk/);
    expect(s.tests.chiSquare.reading).toContain('level mix');
  });
});
