/**
 * Descriptive statistics with pandas / numpy definitions. Inputs must be non-empty arrays of finite
 * numbers: NaN is rejected with an Error (pandas would skip it silently).
 * Where pandas returns NaN because a sample is too small (variance of 1 value, skew of < 3,
 * kurtosis of < 4) or degenerate (skew / kurtosis of constant data) these functions return NaN too.
 * Hand-written: pandas' exact definitions (ddof, bias-corrected skew/kurtosis, NaN rules) in a few lines each; @stdlib's versions differ in those rules.
 */
import { checkFinite, checkSameLength } from './labels.js';

/** Arithmetic mean. */
export function mean(values: ArrayLike<number>): number {
  checkFinite(values, 'values');
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** Median (mean of the two middle values for an even count). */
export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

/** All most-frequent values, sorted ascending (pandas Series.mode). */
export function mode(values: ArrayLike<number>): number[] {
  checkFinite(values, 'values');
  const counts = new Map<number, number>();
  for (let i = 0; i < values.length; i++) counts.set(values[i], (counts.get(values[i]) ?? 0) + 1);
  const max = Math.max(...counts.values());
  return [...counts].filter(([, c]) => c === max).map(([v]) => v).sort((a, b) => a - b);
}

/** Variance with `ddof` delta degrees of freedom (default 1, the sample variance as in pandas). NaN when n <= ddof. */
export function variance(values: ArrayLike<number>, ddof = 1): number {
  const m = mean(values);
  const n = values.length;
  if (n - ddof <= 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < n; i++) s += (values[i] - m) ** 2;
  return s / (n - ddof);
}

/** Standard deviation with `ddof` (default 1). */
export function std(values: ArrayLike<number>, ddof = 1): number {
  return Math.sqrt(variance(values, ddof));
}

function centralSums(values: ArrayLike<number>): { n: number; m2: number; m3: number; m4: number } {
  const m = mean(values);
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i] - m;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  return { n: values.length, m2, m3, m4 };
}

function isConstant(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

/**
 * Skewness as pandas Series.skew: adjusted Fisher-Pearson G1 = n·sqrt(n-1)/(n-2) · Σd³ / (Σd²)^1.5.
 * NaN for n < 3 and for constant data (pandas ≥ 3.1 convention; older pandas returned 0).
 */
export function skewness(values: ArrayLike<number>): number {
  const { n, m2, m3 } = centralSums(values);
  if (n < 3 || isConstant(values)) return Number.NaN;
  return ((n * Math.sqrt(n - 1)) / (n - 2)) * (m3 / (m2 * Math.sqrt(m2)));
}

/**
 * Excess kurtosis as pandas Series.kurt (bias-corrected G2):
 * (n-1)/((n-2)(n-3)) · (n(n+1)·Σd⁴/(Σd²)² − 3(n-1)).
 * NaN for n < 4 and for constant data (pandas ≥ 3.1 convention).
 */
export function kurtosis(values: ArrayLike<number>): number {
  const { n, m2, m4 } = centralSums(values);
  if (n < 4 || isConstant(values)) return Number.NaN;
  const inner = n * (n + 1) * (m4 / (m2 * m2)) - 3 * (n - 1);
  return ((n - 1) / ((n - 2) * (n - 3))) * inner;
}

/** Quantile q in [0, 1] with numpy's default 'linear' method (type 7). */
export function quantile(values: ArrayLike<number>, q: number): number {
  checkFinite(values, 'values');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile q must be in [0, 1], got ${q}`);
  const sorted = Float64Array.from(values).sort();
  return quantileSorted(sorted, q);
}

/** Several quantiles at once (one sort). */
export function quantiles(values: ArrayLike<number>, qs: readonly number[]): number[] {
  checkFinite(values, 'values');
  const sorted = Float64Array.from(values).sort();
  return qs.map((q) => {
    if (!(q >= 0 && q <= 1)) throw new Error(`quantile q must be in [0, 1], got ${q}`);
    return quantileSorted(sorted, q);
  });
}

function quantileSorted(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const t = h - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  const diff = b - a;
  // numpy's _lerp: symmetric form for numerical stability
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** Ranks 1..n with ties given their average rank (scipy rankdata 'average'). */
export function rankAverage(values: ArrayLike<number>): number[] {
  checkFinite(values, 'values');
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Array<number>(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/** Sizes of groups of tied values (only groups of size > 1 matter for tie corrections). */
export function tieCounts(values: ArrayLike<number>): number[] {
  const counts = new Map<number, number>();
  for (let i = 0; i < values.length; i++) counts.set(values[i], (counts.get(values[i]) ?? 0) + 1);
  return [...counts.values()];
}

/** Pearson correlation coefficient. Throws if either input is constant (undefined correlation). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkSameLength(x, y, 'x', 'y');
  if (x.length < 2) throw new Error(`correlation needs at least 2 pairs, got ${x.length}`);
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) throw new Error('correlation is undefined: one input is constant (zero variance)');
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/** Spearman rank correlation (Pearson on average ranks). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkSameLength(x, y, 'x', 'y');
  return pearson(rankAverage(x), rankAverage(y));
}

/**
 * Correlation matrix of named columns (pandas DataFrame.corr). Diagonal is 1.
 * Throws if a column is constant.
 */
export function correlationMatrix(
  columns: Record<string, ArrayLike<number>>,
  method: 'pearson' | 'spearman' = 'pearson',
): { names: string[]; matrix: number[][] } {
  const names = Object.keys(columns);
  if (names.length === 0) throw new Error('correlationMatrix needs at least one column');
  const data = method === 'spearman' ? names.map((n) => rankAverage(columns[n])) : names.map((n) => Array.from(columns[n]));
  const matrix: number[][] = names.map((_, i) => names.map((__, j) => (i === j ? 1 : 0)));
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const r = pearson(data[i], data[j]);
      matrix[i][j] = r;
      matrix[j][i] = r;
    }
  }
  return { names, matrix };
}

/** Summary of one numeric sample: count, mean, std, min, quartiles, max, skewness, kurtosis. */
export interface Summary {
  count: number;
  mean: number;
  std: number;
  min: number;
  q25: number;
  median: number;
  q75: number;
  max: number;
  skewness: number;
  kurtosis: number;
}

/** pandas describe() plus skew/kurt. */
export function describe(values: ArrayLike<number>): Summary {
  const [min, q25, med, q75, max] = quantiles(values, [0, 0.25, 0.5, 0.75, 1]);
  return {
    count: values.length,
    mean: mean(values),
    std: std(values),
    min,
    q25,
    median: med,
    q75,
    max,
    skewness: skewness(values),
    kurtosis: kurtosis(values),
  };
}
