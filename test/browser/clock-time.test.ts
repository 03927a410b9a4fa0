import { describe, expect, it } from 'vitest';
import { clockTime } from '../../dashboard/src/dom.js';

describe('dashboard time axis labels', () => {
  it('are clock times HH:MM:SS, never fractional seconds', () => {
    const at = new Date(2026, 0, 2, 9, 5, 20, 200).getTime() / 1000;
    expect(clockTime(at)).toBe('09:05:20');
    expect(clockTime(at + 0.5)).toBe('09:05:20');
    expect(clockTime(at + 3600 + 61)).toBe('10:06:21');
  });
});
