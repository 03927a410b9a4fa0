import {
  adjustPValues,
  cohensD,
  fTestEqualVariances,
  mean,
  oneWayAnova,
  std,
  tTestIndependent,
  zTestTwoSample,
  type TestResult,
} from '../../analysis/index.js';
import { speakerMeans, type GenderMfccMatrix } from './gender-mfcc-matrix.js';

export const GENDER_TESTS = ['zTest', 'welchT', 'anova', 'fTest'] as const;
export type GenderTestName = (typeof GENDER_TESTS)[number];

export const GENDER_TEST_TITLES: Record<GenderTestName, string> = {
  zTest: 'two-sample z-test (pooled variance)',
  welchT: 'Welch t-test',
  anova: 'one-way ANOVA (female, male)',
  fTest: 'F-test for equal variances (var female / var male)',
};

/** One test of one coefficient, with its p-value adjusted over all coefficients. */
export interface AdjustedTest {
  statistic: number;
  df: number | [number, number] | null;
  pValue: number;
  holm: number;
  bh: number;
  significantHolm: boolean;
  significantBh: boolean;
  effectSize: { name: string; value: number };
}

export interface CoefficientComparison {
  coefficient: string;
  meanFemale: number;
  meanMale: number;
  sdFemale: number;
  sdMale: number;
  /** (mean female − mean male) / pooled SD. */
  cohensD: number;
  tests: Record<GenderTestName, AdjustedTest>;
}

export interface LevelStatistics {
  /** What one observation is. */
  unit: 'clip' | 'speaker';
  nFemale: number;
  nMale: number;
  coefficients: CoefficientComparison[];
  /** Coefficients whose adjusted p-value is below alpha, per test and correction. */
  survivors: Record<GenderTestName, { holm: string[]; bh: string[] }>;
}

export interface GenderStatistics {
  alpha: number;
  /** Sign convention: positive differences / d mean female above male. */
  groups: { x: 'female'; y: 'male' };
  clipLevel: LevelStatistics;
  speakerLevel: LevelStatistics;
}

function column(m: GenderMfccMatrix, k: number, gender: 'female' | 'male'): number[] {
  const out: number[] = [];
  m.clips.forEach((c, i) => {
    if (c.gender === gender) out.push(m.values[i][k]);
  });
  return out;
}

/**
 * Female vs male per MFCC coefficient: two-sample z-test (statsmodels ztest, pooled), Welch t-test
 * (scipy ttest_ind equal_var=False), one-way ANOVA (scipy f_oneway) and the two-sided F-test for
 * equal variances, each with its effect size; p-values adjusted across coefficients with Holm and
 * Benjamini-Hochberg (statsmodels multipletests). Runs on the clip matrix and on its speaker means.
 */
export function levelStatistics(m: GenderMfccMatrix, unit: 'clip' | 'speaker', alpha = 0.05): LevelStatistics {
  const nFemale = m.clips.filter((c) => c.gender === 'female').length;
  const nMale = m.clips.filter((c) => c.gender === 'male').length;
  if (nFemale < 2 || nMale < 2) throw new Error(`need at least 2 female and 2 male ${unit}s, got ${nFemale} female and ${nMale} male`);
  m.values.forEach((row, i) => {
    if (row.length !== m.coefficients.length) throw new Error(`row ${i} has ${row.length} values, expected ${m.coefficients.length}`);
  });
  const raw = m.coefficients.map((name, k) => {
    const f = column(m, k, 'female');
    const mm = column(m, k, 'male');
    const results: Record<GenderTestName, TestResult> = {
      zTest: zTestTwoSample(f, mm),
      welchT: tTestIndependent(f, mm, { equalVariances: false }),
      anova: oneWayAnova([f, mm]),
      fTest: fTestEqualVariances(f, mm),
    };
    return { name, f, mm, results };
  });
  const adjusted = Object.fromEntries(
    GENDER_TESTS.map((t) => {
      const ps = raw.map((r) => r.results[t].pValue);
      return [t, { holm: adjustPValues(ps, 'holm', alpha), bh: adjustPValues(ps, 'fdr_bh', alpha) }];
    }),
  ) as Record<GenderTestName, { holm: ReturnType<typeof adjustPValues>; bh: ReturnType<typeof adjustPValues> }>;
  const coefficients: CoefficientComparison[] = raw.map((r, k) => ({
    coefficient: r.name,
    meanFemale: mean(r.f),
    meanMale: mean(r.mm),
    sdFemale: std(r.f),
    sdMale: std(r.mm),
    cohensD: cohensD(r.f, r.mm),
    tests: Object.fromEntries(
      GENDER_TESTS.map((t) => {
        const res = r.results[t];
        const a = adjusted[t];
        const test: AdjustedTest = {
          statistic: res.statistic,
          df: res.df,
          pValue: res.pValue,
          holm: a.holm.adjusted[k],
          bh: a.bh.adjusted[k],
          significantHolm: a.holm.reject[k],
          significantBh: a.bh.reject[k],
          effectSize: res.effectSize,
        };
        return [t, test];
      }),
    ) as Record<GenderTestName, AdjustedTest>,
  }));
  const survivors = Object.fromEntries(
    GENDER_TESTS.map((t) => [
      t,
      {
        holm: coefficients.filter((c) => c.tests[t].significantHolm).map((c) => c.coefficient),
        bh: coefficients.filter((c) => c.tests[t].significantBh).map((c) => c.coefficient),
      },
    ]),
  ) as LevelStatistics['survivors'];
  return { unit, nFemale, nMale, coefficients, survivors };
}

/** Clip-level and speaker-level statistics of one matrix. */
export function genderStatistics(m: GenderMfccMatrix, alpha = 0.05): GenderStatistics {
  return {
    alpha,
    groups: { x: 'female', y: 'male' },
    clipLevel: levelStatistics(m, 'clip', alpha),
    speakerLevel: levelStatistics(speakerMeans(m), 'speaker', alpha),
  };
}
