/**
 * Distribution tail probabilities used by the statistical tests, backed by the @stdlib packages
 * (no hand-written approximations). Upper tails use symmetry where it keeps precision.
 */
import gammainc from '@stdlib/math-base-special-gammainc';
import binomial from '@stdlib/stats-base-dists-binomial';
import chisquare from '@stdlib/stats-base-dists-chisquare';
import fdist from '@stdlib/stats-base-dists-f';
import normal from '@stdlib/stats-base-dists-normal';
import tdist from '@stdlib/stats-base-dists-t';

/** P(Z <= z), standard normal. */
export const normalCdf = (z: number): number => normal.cdf(z, 0, 1);
/** P(Z >= z), standard normal. */
export const normalSf = (z: number): number => normal.cdf(-z, 0, 1);
/** Standard normal quantile. */
export const normalQuantile = (p: number): number => normal.quantile(p, 0, 1);
/** P(T <= t) for Student's t with `df` degrees of freedom. */
export const tCdf = (t: number, df: number): number => tdist.cdf(t, df);
/** P(T >= t) for Student's t. */
export const tSf = (t: number, df: number): number => tdist.cdf(-t, df);
/** P(F <= x) for the F distribution. */
export const fCdf = (x: number, d1: number, d2: number): number => fdist.cdf(x, d1, d2);
/** P(F >= x), computed as P(F' <= 1/x) with swapped degrees of freedom for precision. */
export const fSf = (x: number, d1: number, d2: number): number => (x <= 0 ? 1 : fdist.cdf(1 / x, d2, d1));
/** P(X <= x) for chi-square with k degrees of freedom. */
export const chiSquareCdf = (x: number, k: number): number => chisquare.cdf(x, k);
/** P(X >= x) for chi-square: the regularised upper incomplete gamma Q(k/2, x/2), precise in the far tail. */
export const chiSquareSf = (x: number, k: number): number => (x <= 0 ? 1 : gammainc(x / 2, k / 2, true, true));
/** P(X <= k) for Binomial(n, p). */
export const binomialCdf = (k: number, n: number, p: number): number => binomial.cdf(k, n, p);
