import { afterAll, describe, expect, inject, it } from 'vitest';
import { MessageTooLargeError } from '../../src/bus/bus.js';
import { createBus } from '../../src/bus/index.js';
import { KafkaBus } from '../../src/bus/kafka.js';
import { uniqueName, waitFor } from '../helpers/wait.js';
import { busContract } from './contract.js';

// The broker comes from test/global-setup.ts (or KAFKA_BROKERS).
const brokers = inject('kafkaBrokers');
const unavailable = inject('kafkaUnavailable') || 'no broker was provided';

if (!brokers) {
  if (process.env.CI === 'true') {
    describe('kafka bus', () => {
      it('has a Kafka broker under CI', () => {
        throw new Error(`Kafka tests cannot run under CI: ${unavailable}`);
      });
    });
  } else {
    console.warn(
      `\n${'!'.repeat(100)}\n!!! SKIPPING the Kafka bus tests: ${unavailable}\n` +
        `!!! (needs java 17 and mvn for src/bus/kafka-broker.ts, or KAFKA_BROKERS=host:port). Under CI these tests FAIL instead.\n${'!'.repeat(100)}\n`,
    );
  }
}

describe.skipIf(!brokers)('kafka bus', () => {
  const made: KafkaBus[] = [];
  const makeBus = async () => {
    const bus = new KafkaBus({ brokers: brokers!, clientId: uniqueName('test') });
    made.push(bus);
    return bus;
  };
  afterAll(async () => {
    await Promise.all(made.map((b) => b.close()));
  });

  busContract('kafka', makeBus);
  // The same contract through namespaced buses (plain topic names in, plain names out); every bus of
  // the suite shares the namespace, as the processes of one run do.
  const namespace = `${uniqueName('ns')}.`;
  busContract('kafka with a namespace', async () => {
    const bus = new KafkaBus({ brokers: brokers!, clientId: uniqueName('test'), namespace });
    made.push(bus);
    return bus;
  });

  describe('kafka specifics', () => {
    it('accepts a value of exactly maxMessageBytes end to end, with UTF-8 headers', async () => {
      const bus = await makeBus();
      const topic = uniqueName('limit');
      await bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const value = Buffer.alloc(bus.maxMessageBytes, 7);
      value[0] = 1;
      value[value.length - 1] = 9;
      await bus.producer().send(topic, [{ key: 'k', value, headers: { note: 'été ✓', seq: '0' } }]);
      const got: Buffer[] = [];
      const headers: Record<string, string>[] = [];
      const c = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true });
      await c.run(async (batch) => {
        for (const m of batch.messages) {
          got.push(m.value);
          headers.push(m.headers);
        }
      });
      await waitFor(() => got.length === 1, 'the 8 MiB record');
      await c.stop();
      expect(got[0].length).toBe(bus.maxMessageBytes);
      expect(got[0][0]).toBe(1);
      expect(got[0][got[0].length - 1]).toBe(9);
      expect(headers[0]).toEqual({ note: 'été ✓', seq: '0' });
    });

    it('refuses client-side a record whose headers push it over the broker limit, sending nothing of the call', async () => {
      const bus = await makeBus();
      const topic = uniqueName('over-broker');
      await bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const fits = { key: 'k', value: Buffer.from('fine') };
      const tooBig = { key: 'k', value: Buffer.alloc(bus.maxMessageBytes), headers: { blob: 'x'.repeat(600 * 1024) } };
      const err = await bus.producer().send(topic, [fits, tooBig]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MessageTooLargeError);
      expect((err as MessageTooLargeError).limit).toBe(bus.brokerMaxRecordBytes);
      expect((err as Error).message).toMatch(/exceeds the bus limit/);
      // Nothing of the refused call reached the broker.
      expect(await bus.lag(uniqueName('g'), topic)).toBe(0);
    });

    it('reports the lag of a group that has not consumed, and of one that has', async () => {
      const bus = await makeBus();
      const topic = uniqueName('lag');
      const groupId = uniqueName('g');
      await bus.ensureTopics([{ name: topic, partitions: 3 }]);
      await bus.producer().send(topic, Array.from({ length: 30 }, (_, i) => ({ key: `s${i}`, value: Buffer.from([i]) })));
      expect(await bus.lag(groupId, topic)).toBe(30);
      let seen = 0;
      const c = bus.consumer({ groupId, topics: [topic], fromBeginning: true, maxBatchSize: 4 });
      await c.run(async (batch) => {
        expect(batch.messages.length).toBeLessThanOrEqual(4);
        seen += batch.messages.length;
      });
      await waitFor(() => seen >= 30, 'thirty messages');
      await waitFor(async () => (await bus.lag(groupId, topic)) === 0, 'lag to reach 0');
      await c.stop();
    });

    it('ensureTopics is idempotent and keeps the partition count', async () => {
      const bus = await makeBus();
      const topic = uniqueName('idem');
      await bus.ensureTopics([{ name: topic, partitions: 3 }]);
      await bus.ensureTopics([{ name: topic, partitions: 3 }]);
      const c = bus.consumer({ groupId: uniqueName('g'), topics: [topic] });
      await c.run(async () => undefined);
      expect(c.assignment()[topic]).toEqual([0, 1, 2]);
      await c.stop();
    });

    it('keeps namespaced runs apart on one broker: own topics and groups, plain names to callers, lag', async () => {
      const nsA = `${uniqueName('runa')}.`;
      const nsB = `${uniqueName('runb')}.`;
      const a = new KafkaBus({ brokers: brokers!, clientId: uniqueName('test'), namespace: nsA });
      const b = new KafkaBus({ brokers: brokers!, clientId: uniqueName('test'), namespace: nsB });
      const plain = await makeBus();
      made.push(a, b);
      const topic = uniqueName('shared');
      await a.producer().send(topic, [{ key: 'k', value: Buffer.from('from a') }]);
      await b.producer().send(topic, [{ key: 'k', value: Buffer.from('from b') }]);
      // On the broker the topics carry the prefixes; the bare name was never created.
      const { Kafka } = await import('kafkajs');
      const admin = new Kafka({ brokers: brokers!, clientId: uniqueName('admin'), logLevel: 0 }).admin();
      await admin.connect();
      const names = new Set(await admin.listTopics());
      await admin.disconnect();
      expect(names.has(nsA + topic) && names.has(nsB + topic)).toBe(true);
      expect(names.has(topic)).toBe(false);
      const groupId = uniqueName('g');
      expect(await a.lag(groupId, topic)).toBe(1);
      const seen: Array<{ topic: string; value: string }> = [];
      const c = a.consumer({ groupId, topics: [topic], fromBeginning: true });
      await c.run(async (batch) => {
        for (const m of batch.messages) seen.push({ topic: m.topic, value: m.value.toString() });
      });
      await waitFor(() => seen.length >= 1, 'the namespaced record');
      expect(Object.keys(c.assignment())).toEqual([topic]);
      await waitFor(async () => (await a.lag(groupId, topic)) === 0, 'lag to reach 0');
      await c.stop();
      expect(seen).toEqual([{ topic, value: 'from a' }]);
      expect(await b.lag(groupId, topic)).toBe(1); // the same group name in namespace b has read nothing
      expect(() => new KafkaBus({ brokers: brokers!, namespace: 'bad name/' })).toThrow(/namespace "bad name\/" may hold only/);
      await plain.ensureTopics([]);
    });

    it('createBus builds a Kafka bus from KAFKA_BROKERS', async () => {
      const saved = process.env.KAFKA_BROKERS;
      process.env.KAFKA_BROKERS = brokers!.join(',');
      try {
        const bus = createBus();
        expect(bus.kind).toBe('kafka');
        await bus.close();
        expect(() => createBus({ kind: 'kafka', brokers: [] })).not.toThrow();
        process.env.KAFKA_BROKERS = 'not a broker';
        expect(() => createBus()).toThrow(/KAFKA_BROKERS entry "not a broker" is not host:port/);
      } finally {
        if (saved === undefined) delete process.env.KAFKA_BROKERS;
        else process.env.KAFKA_BROKERS = saved;
      }
    });
  });
});
