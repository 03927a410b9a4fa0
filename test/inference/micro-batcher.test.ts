import { describe, expect, it } from 'vitest';
import { MicroBatcher } from '../../src/inference/micro-batcher.js';

describe('MicroBatcher', () => {
  it('groups concurrent submissions up to maxBatchSize and returns results in order', async () => {
    const sizes: number[] = [];
    const b = new MicroBatcher<number, number>(
      async (items) => {
        sizes.push(items.length);
        await new Promise((r) => setTimeout(r, 5));
        return items.map((x) => x * 2);
      },
      { maxBatchSize: 8, maxWaitMs: 2 },
    );
    const out = await Promise.all(Array.from({ length: 30 }, (_, i) => b.submit(i)));
    expect(out).toEqual(Array.from({ length: 30 }, (_, i) => i * 2));
    expect(Math.max(...sizes)).toBe(8);
    expect(sizes.reduce((a, c) => a + c, 0)).toBe(30);
    expect(sizes.length).toBeLessThan(30);
  });

  it('flushes a lone item without waiting for a full batch', async () => {
    const b = new MicroBatcher<number, number>(async (items) => items, { maxBatchSize: 64, maxWaitMs: 0 });
    await expect(b.submit(7)).resolves.toBe(7);
  });

  it('rejects every item of a failing batch and keeps serving later ones', async () => {
    let fail = true;
    const b = new MicroBatcher<number, number>(
      async (items) => {
        if (fail) throw new Error('model crashed');
        return items;
      },
      { maxBatchSize: 4, maxWaitMs: 1 },
    );
    const r = await Promise.allSettled([b.submit(1), b.submit(2)]);
    expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(b.submit(3)).resolves.toBe(3);
  });
});
