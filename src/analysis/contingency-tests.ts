/**
 * Tests on contingency tables: chi-square test of independence (scipy chi2_contingency, Yates
 * correction for 1-df tables by default; on @stdlib/stats-chi2test) and McNemar's test (statsmodels
 * mcnemar: exact binomial or chi-square with continuity correction). McNemar is hand-written on
 * @stdlib distributions: no registry package here implements it.
 */
import chi2test from '@stdlib/stats-chi2test';
import { binomialCdf, chiSquareSf } from './distributions.js';
import { checkLabels, checkSameLength, type Label } from './labels.js';
import type { TestResult } from './test-result.js';

function checkTable(table: readonly (readonly number[])[], name: string): void {
  if (!Array.isArray(table) || table.length === 0) throw new Error(`${name} must be a non-empty 2-D array`);
  const cols = table[0].length;
  if (cols === 0) throw new Error(`${name} has an empty row`);
  table.forEach((row, i) => {
    if (row.length !== cols) throw new Error(`${name} row ${i} has ${row.length} columns, expected ${cols}`);
    row.forEach((v: number, j: number) => {
      if (!Number.isFinite(v) || v < 0) throw new Error(`${name}[${i}][${j}] is ${v}; counts must be finite and >= 0`);
    });
  });
}

/** Result of {@link chiSquareIndependence}: the test plus the expected frequencies. */
export interface ChiSquareResult extends TestResult {
  expected: number[][];
}

/**
 * Chi-square test of independence (scipy.stats.chi2_contingency, on @stdlib/stats-chi2test). With
 * `correction` (default true) and one degree of freedom (a 2×2 table), Yates' correction moves each
 * observed count up to 0.5 towards its expected value. A table with 0 df (one row or column) gives
 * statistic 0, p 1, like scipy. A zero expected frequency throws.
 * Effect size: Cramér's V from the uncorrected statistic (scipy.stats.contingency.association).
 */
export function chiSquareIndependence(table: readonly (readonly number[])[], options: { correction?: boolean } = {}): ChiSquareResult {
  checkTable(table, 'table');
  const r = table.length;
  const c = table[0].length;
  const rowSums = table.map((row) => row.reduce((a, b) => a + b, 0));
  const colSums = table[0].map((_, j) => table.reduce((a, row) => a + row[j], 0));
  const total = rowSums.reduce((a, b) => a + b, 0);
  const expected = table.map((_, i) => table[0].map((__, j) => (rowSums[i] * colSums[j]) / total));
  expected.forEach((row, i) =>
    row.forEach((e, j) => {
      if (!(e > 0)) throw new Error(`chi-square: expected frequency at [${i}][${j}] is zero (an empty row or column)`);
    }),
  );
  const df = (r - 1) * (c - 1);
  const test = 'chi-square test of independence';
  if (df === 0) return { test, statistic: 0, df: 0, pValue: 1, effectSize: { name: "Cramér's V", value: 0 }, expected };
  const counts = table.map((row) => [...row]);
  const uncorrected = chi2test(counts, { correct: false });
  const result = (options.correction ?? true) && df === 1 ? chi2test(counts, { correct: true }) : uncorrected;
  const effectSize = { name: "Cramér's V", value: Math.sqrt(uncorrected.statistic / (total * (Math.min(r, c) - 1))) };
  return { test, statistic: result.statistic, df: result.df, pValue: result.pValue, effectSize, expected };
}

/**
 * McNemar's test on a 2×2 table [[a, b], [c, d]] of paired outcomes (statsmodels mcnemar).
 * exact (default true): statistic = min(b, c), p = min(1, 2·BinomCdf(min(b,c); b+c, 0.5)).
 * Otherwise: statistic = (|b − c| − 1)² / (b + c) with `correction` (default true), chi-square 1 df.
 * Effect size: Cohen's g = max(b, c)/(b + c) − 0.5 (0 when there are no discordant pairs).
 */
export function mcnemar(table: readonly (readonly number[])[], options: { exact?: boolean; correction?: boolean } = {}): TestResult {
  checkTable(table, 'table');
  if (table.length !== 2 || table[0].length !== 2) throw new Error('McNemar needs a 2x2 table');
  const b = table[0][1];
  const c = table[1][0];
  const discordant = b + c;
  const effectSize = { name: "Cohen's g", value: discordant === 0 ? 0 : Math.max(b, c) / discordant - 0.5 };
  if (options.exact ?? true) {
    if (!Number.isInteger(b) || !Number.isInteger(c)) throw new Error('exact McNemar needs integer counts');
    const statistic = Math.min(b, c);
    return { test: 'McNemar (exact binomial)', statistic, df: null, pValue: Math.min(1, 2 * binomialCdf(statistic, discordant, 0.5)), effectSize };
  }
  if (discordant === 0) throw new Error('McNemar chi-square: no discordant pairs (b + c = 0); the statistic is undefined');
  const corr = (options.correction ?? true) ? 1 : 0;
  const statistic = (Math.abs(b - c) - corr) ** 2 / discordant;
  return { test: 'McNemar (chi-square)', statistic, df: 1, pValue: chiSquareSf(statistic, 1), effectSize };
}

/**
 * 2×2 table for comparing two classifiers on the same samples:
 * [[both correct, only A correct], [only B correct, both wrong]].
 */
export function mcnemarTable(yTrue: readonly Label[], predA: readonly Label[], predB: readonly Label[]): number[][] {
  checkLabels(yTrue, 'yTrue');
  checkSameLength(yTrue, predA, 'yTrue', 'predA');
  checkSameLength(yTrue, predB, 'yTrue', 'predB');
  const t = [
    [0, 0],
    [0, 0],
  ];
  yTrue.forEach((y, i) => t[predA[i] === y ? 0 : 1][predB[i] === y ? 0 : 1]++);
  return t;
}
