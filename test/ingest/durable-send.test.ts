import { describe, expect, it } from 'vitest';
import { MessageTooLargeError, type Producer, type ProduceRecord } from '../../src/bus/bus.js';
import { sendDurably } from '../../src/ingest/durable-send.js';

/** A producer that refuses the first `failures` sends as a broker outage would. */
function flakyProducer(failures: number): Producer & { attempts: number; sent: ProduceRecord[][] } {
  const p = {
    attempts: 0,
    sent: [] as ProduceRecord[][],
    async send(_topic: string, records: ProduceRecord[]) {
      p.attempts++;
      if (p.attempts <= failures) throw new Error('connect ECONNREFUSED 127.0.0.1:9092');
      p.sent.push(records);
    },
  };
  return p;
}

const records = [{ key: 's', value: Buffer.from('x') }];

describe('sendDurably (a source pauses while the bus is down, and resumes by itself)', () => {
  it('retries refused sends with backoff until the bus acknowledges them, then resolves', async () => {
    const p = flakyProducer(4);
    const t0 = Date.now();
    await sendDurably(p, 't', records, { initialDelayMs: 10, maxDelayMs: 40 });
    expect(p.attempts).toBe(5);
    expect(p.sent).toEqual([records]);
    // 10 + 20 + 40 + 40 ms of backoff at least.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
  });

  it('throws at once what no retry can fix (a record over the bus limit)', async () => {
    let attempts = 0;
    const p: Producer = {
      async send() {
        attempts++;
        throw new MessageTooLargeError(10, 5);
      },
    };
    await expect(sendDurably(p, 't', records, { initialDelayMs: 1 })).rejects.toBeInstanceOf(MessageTooLargeError);
    expect(attempts).toBe(1);
  });

  it('stops waiting when the source is stopped, and still makes a first attempt after an abort', async () => {
    const down = flakyProducer(Number.POSITIVE_INFINITY);
    const ac = new AbortController();
    const pending = sendDurably(down, 't', records, { signal: ac.signal, initialDelayMs: 5 });
    setTimeout(() => ac.abort(), 50);
    await expect(pending).rejects.toThrow(/abort/i);
    const up = flakyProducer(0);
    await sendDurably(up, 't', records, { signal: ac.signal });
    expect(up.sent).toEqual([records]);
  });
});
