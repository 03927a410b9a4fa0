import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus, BusMessage } from '../../src/bus/bus.js';
import { MessageTooLargeError } from '../../src/bus/bus.js';
import { StageRunner } from '../../src/bus/stage-runner.js';
import { decodeMessage, encodeMessage } from '../../src/bus/envelope.js';
import { deadLetterTopic } from '../../src/bus/topics.js';
import { uniqueName, waitFor } from '../helpers/wait.js';

/**
 * The bus contract suite: runs unchanged against every Bus implementation.
 * `makeBus` returns a fresh bus client; several may be made per test (they share the broker).
 */
export function busContract(name: string, makeBus: () => Promise<Bus>): void {
  describe(`bus contract: ${name}`, () => {
    let bus: Bus;
    beforeAll(async () => {
      bus = await makeBus();
    });
    afterAll(async () => {
      await bus?.close();
    });

    const collect = (into: BusMessage[]) => async (batch: { messages: BusMessage[] }) => {
      into.push(...batch.messages);
    };

    it('keeps per-key order and carries keys, headers and bytes', async () => {
      const topic = uniqueName('order');
      await bus.ensureTopics([{ name: topic, partitions: 4 }]);
      const producer = bus.producer();
      const keys = ['mic-1', 'cam-2', 'courses', 'mic-3', 'porch'];
      const perKey = 40;
      for (let i = 0; i < perKey; i++) {
        await producer.send(
          topic,
          keys.map((k) => ({ key: k, value: Buffer.from([i, 0xff, 0x00, 0x80]), headers: { seq: String(i), stream: k } })),
        );
      }
      const got: BusMessage[] = [];
      const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true });
      await consumer.run(collect(got));
      await waitFor(() => got.length >= keys.length * perKey, 'all messages');
      await consumer.stop();
      expect(got).toHaveLength(keys.length * perKey);
      for (const k of keys) {
        const seqs = got.filter((m) => m.key === k).map((m) => Number(m.headers.seq));
        expect(seqs).toEqual([...Array(perKey).keys()]);
        const partitions = new Set(got.filter((m) => m.key === k).map((m) => m.partition));
        expect(partitions.size).toBe(1);
      }
      const one = got.find((m) => m.key === 'cam-2' && m.headers.seq === '7')!;
      expect([...one.value]).toEqual([7, 0xff, 0x00, 0x80]);
      expect(one.headers.stream).toBe('cam-2');
    });

    it('splits partitions across a consumer group and rebalances when a member leaves', async () => {
      const topic = uniqueName('group');
      const groupId = uniqueName('g');
      await bus.ensureTopics([{ name: topic, partitions: 4 }]);
      const a: BusMessage[] = [];
      const b: BusMessage[] = [];
      const busB = await makeBus();
      const ca = bus.consumer({ groupId, topics: [topic], fromBeginning: true });
      const cb = busB.consumer({ groupId, topics: [topic], fromBeginning: true });
      await ca.run(collect(a));
      await cb.run(collect(b));
      await waitFor(
        () => (ca.assignment()[topic]?.length ?? 0) === 2 && (cb.assignment()[topic]?.length ?? 0) === 2,
        'each member to own 2 of 4 partitions',
        60_000,
      );
      expect([...ca.assignment()[topic], ...cb.assignment()[topic]].sort()).toEqual([0, 1, 2, 3]);
      const producer = bus.producer();
      const keys = Array.from({ length: 16 }, (_, i) => `stream-${i}`);
      await producer.send(topic, keys.map((k) => ({ key: k, value: Buffer.from('first') })));
      await waitFor(() => a.length + b.length >= keys.length, 'first round');
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBeGreaterThan(0);
      const aParts = new Set(a.map((m) => m.partition));
      for (const m of b) expect(aParts.has(m.partition)).toBe(false);

      await cb.stop();
      await busB.close();
      await waitFor(() => (ca.assignment()[topic]?.length ?? 0) === 4, 'the remaining member to own all partitions', 60_000);
      await producer.send(topic, keys.map((k) => ({ key: k, value: Buffer.from('second') })));
      await waitFor(() => a.filter((m) => m.value.toString() === 'second').length >= keys.length, 'second round on the survivor');
      await ca.stop();
      const all = [...a, ...b];
      for (const k of keys) {
        expect(all.filter((m) => m.key === k && m.value.toString() === 'first').length).toBeGreaterThanOrEqual(1);
        expect(all.filter((m) => m.key === k && m.value.toString() === 'second').length).toBeGreaterThanOrEqual(1);
      }
    });

    it('redelivers a batch whose handler threw, losing nothing', async () => {
      const topic = uniqueName('redeliver');
      await bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const producer = bus.producer();
      await producer.send(topic, Array.from({ length: 20 }, (_, i) => ({ key: 'k', value: Buffer.from(String(i)) })));
      const seen: string[] = [];
      const done = new Set<string>();
      let failures = 0;
      const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true });
      await consumer.run(async (batch) => {
        for (const m of batch.messages) {
          const v = m.value.toString();
          seen.push(v);
          if (v === '7' && failures < 2) {
            failures++;
            throw new Error('transient failure');
          }
          done.add(v);
        }
      });
      await waitFor(() => done.size === 20, 'every message handled', 60_000);
      await consumer.stop();
      expect(failures).toBe(2);
      expect(seen.filter((v) => v === '7').length).toBe(3);
      expect([...done].map(Number).sort((x, y) => x - y)).toEqual([...Array(20).keys()]);
    });

    it('resumes a restarted consumer group from its committed offset', async () => {
      const topic = uniqueName('resume');
      const groupId = uniqueName('g');
      await bus.ensureTopics([{ name: topic, partitions: 2 }]);
      const producer = bus.producer();
      await producer.send(topic, Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 3}`, value: Buffer.from(`a${i}`) })));
      const first: BusMessage[] = [];
      const c1 = bus.consumer({ groupId, topics: [topic], fromBeginning: true });
      await c1.run(collect(first));
      await waitFor(() => first.length >= 10, 'first ten');
      await c1.stop();
      await producer.send(topic, Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 3}`, value: Buffer.from(`b${i}`) })));
      const second: BusMessage[] = [];
      const c2 = bus.consumer({ groupId, topics: [topic], fromBeginning: true });
      await c2.run(collect(second));
      await waitFor(() => second.length >= 10, 'the ten new messages');
      await new Promise((r) => setTimeout(r, 300));
      await c2.stop();
      expect(second.map((m) => m.value.toString()).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `b${i}`).sort());
      expect(await bus.lag(groupId, topic)).toBe(0);
    });

    it('lets a consumer subscribe to a topic nobody created yet, and delivers what is produced to it later', async () => {
      const topic = uniqueName('fresh');
      const got: BusMessage[] = [];
      const consumer = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true });
      await consumer.run(collect(got));
      await bus.producer().send(topic, [{ key: 'k', value: Buffer.from('first') }]);
      await waitFor(() => got.length >= 1, 'the message produced after subscribing');
      await consumer.stop();
      expect(got.map((m) => m.value.toString())).toEqual(['first']);
    });

    it('refuses an oversized message with a clear error', async () => {
      const topic = uniqueName('big');
      await bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const value = Buffer.alloc(bus.maxMessageBytes + 1);
      await expect(bus.producer().send(topic, [{ key: 'k', value }])).rejects.toBeInstanceOf(MessageTooLargeError);
    });

    it('dead-letters undecodable, unknown-version and wrong-type messages with the reason, and keeps going', async () => {
      const input = uniqueName('stage-in');
      const output = uniqueName('stage-out');
      await bus.ensureTopics([
        { name: input, partitions: 2 },
        { name: output, partitions: 2 },
        { name: deadLetterTopic(input), partitions: 2 },
      ]);
      const runner = new StageRunner(bus, {
        name: uniqueName('echo'),
        input,
        accepts: ['course.raw'],
        async process(batch) {
          return batch.map(({ message }) => {
            if (message.type !== 'course.raw') return new Error('unexpected');
            if (message.record.poison) return new Error('record is poison');
            return [{ topic: output, message: { ...message, type: 'course.enriched' as const } }];
          });
        },
      });
      await runner.start();
      const producer = bus.producer();
      const good = (i: number, extra: Record<string, unknown> = {}) =>
        encodeMessage({ type: 'course.raw', env: { streamId: 's1', seq: i, capturedAt: Date.now() }, record: { i, ...extra } });
      const g0 = good(0);
      const badVersion = good(1);
      const g2 = good(2);
      const poison = good(3, { poison: true });
      const wrongType = encodeMessage({
        type: 'audio.chunk',
        env: { streamId: 's1', seq: 4, capturedAt: Date.now() },
        meta: { sampleRate: 16000, channels: 1, startSec: 0 },
        pcm: new Int16Array(4),
      });
      const futureVersion = Buffer.from(badVersion.value);
      futureVersion[2] = 99; // the envelope's schema version byte
      await producer.send(input, [
        g0,
        { key: 's1', value: Buffer.from('not an envelope') },
        { key: 's1', value: futureVersion },
        g2,
        poison,
        wrongType,
      ]);
      const outs: BusMessage[] = [];
      const dlq: BusMessage[] = [];
      const co = bus.consumer({ groupId: uniqueName('g'), topics: [output], fromBeginning: true });
      const cd = bus.consumer({ groupId: uniqueName('g'), topics: [deadLetterTopic(input)], fromBeginning: true });
      await co.run(collect(outs));
      await cd.run(collect(dlq));
      await waitFor(() => outs.length >= 2 && dlq.length >= 4, 'outputs and dead letters', 60_000);
      await runner.stop();
      await co.stop();
      await cd.stop();
      const decoded = outs.map((m) => decodeMessage(m.value));
      expect(decoded.map((m) => m.env.seq).sort()).toEqual([0, 2]);
      expect(decoded[0].type).toBe('course.enriched');
      expect(Object.keys(decoded[0].env.stageTimes ?? {})).toContain(runner.stage.name);
      expect(outs[0].headers).toEqual({}); // everything travels in the value
      const reasons = dlq.map((m) => m.headers['dlq.reason']).sort();
      expect(reasons).toEqual(['decode', 'processing', 'unknown-type', 'version']);
      const undecodable = dlq.find((m) => m.headers['dlq.reason'] === 'decode')!;
      expect(undecodable.value.toString()).toBe('not an envelope');
      expect(undecodable.headers['dlq.topic']).toBe(input);
      expect(dlq.find((m) => m.headers['dlq.reason'] === 'processing')!.headers['dlq.error']).toContain('poison');
    });
  });
}
