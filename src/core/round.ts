/**
 * Number(v.toPrecision(digits)) without the string round trip (~250 ns a call, several per scored
 * course record): v is scaled by an exact power of ten, rounded to an integer and scaled back by
 * one correctly rounded IEEE operation, which gives the double nearest to the decimal
 * toPrecision writes. Whenever the shortcut could differ (a scaled value within 1e-7 of a
 * rounding tie, a power of ten that is not exact, an exponent estimate off by one, non-finite
 * values) it calls toPrecision itself, so the result is always identical (tested on millions of
 * values, test/core/round.test.ts).
 */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i); // exact as doubles up to 1e22

export function roundSignificant(v: number, digits: number): number {
  if (v === 0) return 0; // (-0).toPrecision() has no sign either
  if (!Number.isFinite(v) || digits < 1 || digits > 15) return Number(v.toPrecision(digits));
  const a = Math.abs(v);
  const e = Math.floor(Math.log10(a));
  const s = digits - 1 - e; // a * 10^s has `digits` digits before the point
  if (s > 22 || s < -22) return Number(v.toPrecision(digits));
  const m = s >= 0 ? a * POW10[s] : a / POW10[-s];
  const f = m - Math.floor(m);
  if (Math.abs(f - 0.5) < 1e-7) return Number(v.toPrecision(digits)); // near a tie: let toPrecision decide
  const n = Math.round(m);
  if (n < POW10[digits - 1] || n > POW10[digits]) return Number(v.toPrecision(digits)); // exponent estimate off
  const r = s >= 0 ? n / POW10[s] : n * POW10[-s];
  if (s < 0 && !Number.isSafeInteger(r)) return Number(v.toPrecision(digits));
  return v < 0 ? -r : r;
}
