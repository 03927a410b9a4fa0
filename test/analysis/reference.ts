/** Loads test/fixtures/analysis.json (scikit-learn / scipy / pandas / statsmodels outputs) and compares numbers. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';

const SPECIAL: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const reference: any = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'analysis.json'), 'utf8'), (_k, v) =>
  typeof v === 'string' && v in SPECIAL ? SPECIAL[v] : v,
);

/** Tolerance for exact quantities. */
export const EXACT = 1e-9;
/** Tolerance for p-values. */
export const PVALUE = 1e-6;

/** Recursively compare numbers (NaN equals NaN, infinities must match) with an absolute-or-relative tolerance. */
export function expectClose(actual: unknown, expected: unknown, tol: number, path = 'value'): void {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path} should be an array`).toBe(true);
    const a = actual as unknown[];
    expect(a.length, `${path}.length`).toBe(expected.length);
    expected.forEach((e, i) => expectClose(a[i], e, tol, `${path}[${i}]`));
    return;
  }
  if (typeof expected === 'number') {
    expect(typeof actual, `${path} type`).toBe('number');
    const a = actual as number;
    if (Number.isNaN(expected)) return void expect(Number.isNaN(a), `${path}: expected NaN, got ${a}`).toBe(true);
    if (!Number.isFinite(expected)) return void expect(a, path).toBe(expected);
    const diff = Math.abs(a - expected);
    expect(diff <= tol * Math.max(1, Math.abs(expected)), `${path}: got ${a}, expected ${expected} (diff ${diff})`).toBe(true);
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    expect(actual !== null && typeof actual === 'object', `${path} should be an object`).toBe(true);
    for (const [k, v] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[k], v, tol, `${path}.${k}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}
