import { describe, expect, it } from 'vitest';
import type { BusMessage } from '../../src/bus/bus.js';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import { decodeMessage, encodeMessage } from '../../src/bus/envelope.js';
import { StageRunner, StageUnavailableError } from '../../src/bus/stage-runner.js';
import { deadLetterTopic } from '../../src/bus/topics.js';
import { waitFor } from '../helpers/wait.js';

describe('stage runner: an unavailable stage', () => {
  it('keeps its input on the bus (no dead letters) until it becomes available, then processes everything in order', async () => {
    const bus = new EmbeddedBus();
    let available = false;
    let attempts = 0;
    const runner = new StageRunner(bus, {
      name: 'needs-model',
      input: 'in',
      accepts: ['course.raw'],
      maxAttempts: 2,
      async process(batch) {
        attempts++;
        if (!available) throw new StageUnavailableError('model not loaded yet');
        return batch.map(({ message }) => {
          if (message.type !== 'course.raw') return new Error(`unexpected ${message.type}`);
          return [{ topic: 'out', message: { type: 'course.enriched' as const, env: message.env, record: message.record } }];
        });
      },
    });
    await runner.start();
    const producer = bus.producer();
    for (let i = 0; i < 5; i++) {
      const r = encodeMessage({ type: 'course.raw', env: { streamId: 's', seq: i, capturedAt: Date.now() }, record: { i } });
      await producer.send('in', [r]);
    }
    await waitFor(() => attempts >= 6, 'several failed attempts (more than maxAttempts)', 30_000);
    const dlq: BusMessage[] = [];
    const out: BusMessage[] = [];
    const cd = bus.consumer({ groupId: 'dlq-watch', topics: [deadLetterTopic('in')] });
    const co = bus.consumer({ groupId: 'out-watch', topics: ['out'] });
    await cd.run(async (b) => void dlq.push(...b.messages));
    await co.run(async (b) => void out.push(...b.messages));
    expect(await bus.lag('streamlens.needs-model', 'in')).toBe(5);
    available = true;
    await waitFor(() => out.length === 5, 'all five processed once the stage is available', 30_000);
    await runner.stop();
    await cd.stop();
    await co.stop();
    expect(dlq).toHaveLength(0);
    expect(out.map((m) => decodeMessage(m.value).env.seq)).toEqual([0, 1, 2, 3, 4]);
  });
});
