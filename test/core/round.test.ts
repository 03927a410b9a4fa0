import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/core/random.js';
import { roundSignificant } from '../../src/core/round.js';

describe('roundSignificant', () => {
  it('equals Number(v.toPrecision(d)) on random magnitudes, ties, decades and specials', () => {
    const rng = new SeededRandom(3);
    const values: number[] = [0, -0, NaN, Infinity, -Infinity, 1, -1, 0.5, 1.5, 2.5, 99999.5, 9.99995, 0.000123455, 123455, 1e-300, 5e-324, 1e300, Number.MAX_VALUE, 1e21, 1e22, 1e23];
    for (let i = 0; i < 400_000; i++) {
      const mag = Math.exp((rng.next() - 0.5) * 60);
      values.push((rng.next() < 0.5 ? -1 : 1) * mag);
    }
    // values at or next to decimal ties of 5 and 6 digits
    for (let i = 0; i < 100_000; i++) {
      const n = 10000 + rng.int(90000);
      const e = rng.int(20) - 10;
      const tie = ((n + 0.5) * 10 ** e) / 1e4;
      values.push(tie, tie * (1 + Number.EPSILON), tie * (1 - Number.EPSILON), -tie);
    }
    for (const d of [5, 6]) {
      let mismatches = 0;
      for (const v of values) {
        const want = Number(v.toPrecision(d));
        const got = roundSignificant(v, d);
        if (!Object.is(got, want) && !(Number.isNaN(got) && Number.isNaN(want))) mismatches++;
      }
      expect(mismatches, `digits ${d}`).toBe(0);
    }
  });
});
