import chi2gof from '@stdlib/stats-chi2gof';

/**
 * Drift statistics over a reference summary and a batch/window of observations.
 * Library use: the chi-squared goodness of fit is @stdlib/stats-chi2gof, the Holm correction
 * src/analysis/multiple-comparisons.ts. Hand-written: the KS test, because the reference keeps a
 * quantile summary of a sample of n, not the raw sample, and needs the two-sample null with
 * en = sqrt(nm/(n+m)); @stdlib/stats-kstest is the one-sample test against a fixed CDF.
 */

/** Floor for empty bins in PSI / JS so log terms stay finite (as in most PSI implementations). */
export const SHARE_FLOOR = 1e-4;

/** Interior cut points of `bins` equal-frequency bins (duplicates removed, so constant features give fewer bins). */
export function quantileEdges(values: readonly number[], bins = 10): number[] {
  const s = [...values].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const q = quantileSorted(s, k / bins);
    if (edges.length === 0 || q > edges[edges.length - 1]) edges.push(q);
  }
  return edges;
}

/** Linear-interpolated quantile (numpy's default, type 7) of a sorted array. */
export function quantileSorted(s: ArrayLike<number>, p: number): number {
  if (s.length === 0) return Number.NaN;
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

/** Counts per bin: bin i holds edges[i-1] < x <= edges[i] (bin 0: x <= edges[0]; last: x > last edge). */
export function histogram(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) counts[binOf(values[i], edges)]++;
  return counts;
}

export function binOf(x: number, edges: readonly number[]): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function shares(counts: readonly number[]): number[] {
  const n = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => Math.max(n > 0 ? c / n : 0, SHARE_FLOOR));
}

/**
 * Population Stability Index: sum (a - e) ln(a / e) over bins, e = reference shares, a = batch shares
 * (both floored at SHARE_FLOOR). Conventional reading: < 0.1 stable, 0.1-0.25 moderate, >= 0.25 major shift.
 */
export function psi(referenceShares: readonly number[], batchCounts: readonly number[]): number {
  if (referenceShares.length !== batchCounts.length) throw new Error(`psi: ${referenceShares.length} reference bins vs ${batchCounts.length} batch bins`);
  const e = referenceShares.map((x) => Math.max(x, SHARE_FLOOR));
  const a = shares(batchCounts);
  let s = 0;
  for (let i = 0; i < e.length; i++) s += (a[i] - e[i]) * Math.log(a[i] / e[i]);
  return s;
}

/** Jensen-Shannon distance (square root of the divergence, log base 2: 0 = same, 1 = disjoint). */
export function jensenShannon(p: readonly number[], qCounts: readonly number[]): number {
  const n = qCounts.reduce((a, b) => a + b, 0);
  const q = qCounts.map((c) => (n > 0 ? c / n : 0));
  const sp = p.reduce((a, b) => a + b, 0);
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    const m = (pi + q[i]) / 2;
    if (pi > 0) d += 0.5 * pi * Math.log2(pi / m);
    if (q[i] > 0) d += 0.5 * q[i] * Math.log2(q[i] / m);
  }
  return Math.sqrt(Math.max(0, d));
}

/**
 * Chi-squared goodness of fit of batch counts against reference shares (df = categories - 1).
 * Reference shares are floored at SHARE_FLOOR, so a category never seen in training gives a huge statistic.
 */
export function chiSquareGoodnessOfFit(referenceShares: readonly number[], batchCounts: readonly number[]): { statistic: number; df: number; pValue: number } {
  if (referenceShares.length !== batchCounts.length) throw new Error(`chi-square: ${referenceShares.length} reference categories vs ${batchCounts.length} batch categories`);
  const n = batchCounts.reduce((a, b) => a + b, 0);
  const df = Math.max(1, referenceShares.length - 1);
  if (n === 0 || referenceShares.length < 2) return { statistic: 0, df, pValue: 1 };
  const e = referenceShares.map((x) => Math.max(x, SHARE_FLOOR));
  const se = e.reduce((a, b) => a + b, 0);
  // Expected frequencies, not shares: chi2gof reads an array summing to 1 as probabilities, anything else as frequencies.
  const r = chi2gof(batchCounts as number[], e.map((x) => (n * x) / se));
  return { statistic: r.statistic, df, pValue: r.pValue };
}

/**
 * Kolmogorov distribution tail P(K > x) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2), x > 0
 * (the asymptotic null of sqrt(n) D). For small x the series converges slowly; the equivalent
 * theta-function form 1 - sqrt(2 pi)/x sum exp(-(2k-1)^2 pi^2 / (8 x^2)) is used there.
 */
export function kolmogorovSf(x: number): number {
  if (!(x > 0)) return 1;
  if (x < 1.18) {
    const f = -(Math.PI ** 2) / (8 * x * x);
    let s = 0;
    for (let k = 1; k <= 7; k += 2) s += Math.exp(f * k * k);
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / x) * s));
  }
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const t = Math.exp(-2 * k * k * x * x);
    s += (k % 2 === 1 ? 1 : -1) * t;
    if (t < 1e-16) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}

/** The finite values of a sample, sorted ascending (a typed-array sort: the detectors sort once per feature and window). */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  let n = 0;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out[n++] = values[i];
  return out.subarray(0, n).sort();
}

/**
 * Two-sample Kolmogorov-Smirnov: D = sup |F_ref - F_batch|, with F_ref the piecewise-linear CDF
 * through the reference quantiles (probs[i], values[i]); p-value from the asymptotic Kolmogorov
 * distribution with Stephens' small-sample correction (en + 0.12 + 0.11/en) D,
 * en = sqrt(n m / (n + m)) (Numerical Recipes' kstwo; scipy's 'asymp' mode without the correction).
 * `sorted`: the batch is already sorted ascending (sortedFinite).
 */
export function ksAgainstQuantiles(
  refQuantiles: { probs: readonly number[]; values: readonly number[]; n: number },
  batch: ArrayLike<number>,
  sorted = false,
): { statistic: number; pValue: number } {
  const m = batch.length;
  if (m === 0) return { statistic: 0, pValue: 1 };
  const s = sorted ? batch : Float64Array.from(batch).sort();
  const v = refQuantiles.values;
  const p = refQuantiles.probs;
  const last = v.length - 1;
  // The batch is visited in ascending order, so the reference segment of x only moves forward:
  // right = last index with v[right] <= x (refCdf), left = last index with v[left] < x (refCdfLeft).
  let right = 0;
  let left = 0;
  let d = 0;
  for (let i = 0; i < m; i++) {
    const x = s[i];
    while (right < last && v[right + 1] <= x) right++;
    while (left < last && v[left + 1] < x) left++;
    const fr = x < v[0] ? 0 : x >= v[last] ? 1 : segmentCdf(v, p, right, x, p[right + 1]);
    const frLeft = x <= v[0] ? 0 : x > v[last] ? 1 : segmentCdf(v, p, left, x, p[left]);
    // ECDF of the batch jumps at x: check both sides (ties collapse to the right side).
    let j = i;
    while (j + 1 < m && s[j + 1] === x) j++;
    const below = i / m;
    const above = (j + 1) / m;
    d = Math.max(d, Math.abs(above - fr), Math.abs(frLeft - below));
    i = j;
  }
  const n = refQuantiles.n;
  const en = Math.sqrt((n * m) / (n + m));
  return { statistic: d, pValue: kolmogorovSf((en + 0.12 + 0.11 / en) * d) };
}

/** Reference CDF at x (right-continuous): linear between quantile points; 0 below the minimum, 1 above the maximum. */
export function refCdf(q: { probs: readonly number[]; values: readonly number[] }, x: number): number {
  const v = q.values;
  const p = q.probs;
  if (x < v[0]) return 0;
  if (x >= v[v.length - 1]) return 1;
  // last index with v[i] <= x
  let lo = 0;
  let hi = v.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (v[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  const i = lo;
  const span = v[i + 1] - v[i];
  return span > 0 ? p[i] + ((x - v[i]) / span) * (p[i + 1] - p[i]) : p[i + 1];
}

/** The reference CDF inside segment i (v[i] .. v[i+1]); `atom`: its value when the segment has no width. */
function segmentCdf(v: readonly number[], p: readonly number[], i: number, x: number, atom: number): number {
  const span = v[i + 1] - v[i];
  return span > 0 ? p[i] + ((x - v[i]) / span) * (p[i + 1] - p[i]) : atom;
}

/**
 * Wasserstein-1 distance between the reference and the batch, from their quantile functions on the
 * reference's probability grid (integral of |Q_ref - Q_batch| dp, trapezoidal), divided by the reference
 * inter-quartile range (or 1 when it is 0) so it reads in "IQRs" whatever the feature's unit.
 */
export function wassersteinScaled(refQuantiles: { probs: readonly number[]; values: readonly number[] }, batch: ArrayLike<number>, sorted = false): number {
  if (batch.length === 0) return 0;
  const s = sorted ? batch : Float64Array.from(batch).sort();
  const { probs, values } = refQuantiles;
  let w = 0;
  for (let i = 1; i < probs.length; i++) {
    const a = Math.abs(values[i - 1] - quantileSorted(s, probs[i - 1]));
    const b = Math.abs(values[i] - quantileSorted(s, probs[i]));
    w += ((a + b) / 2) * (probs[i] - probs[i - 1]);
  }
  const iqr = refCdfInverse(refQuantiles, 0.75) - refCdfInverse(refQuantiles, 0.25);
  return w / (iqr > 0 ? iqr : 1);
}

function refCdfInverse(q: { probs: readonly number[]; values: readonly number[] }, p: number): number {
  const { probs, values } = q;
  for (let i = 1; i < probs.length; i++) {
    if (probs[i] >= p) {
      const t = (p - probs[i - 1]) / (probs[i] - probs[i - 1] || 1);
      return values[i - 1] + t * (values[i] - values[i - 1]);
    }
  }
  return values[values.length - 1];
}
