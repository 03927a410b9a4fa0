import { afterAll, describe, expect, inject, it } from 'vitest';
import { type Bus, type BusMessage, MessageTooLargeError } from '../../src/bus/bus.js';
import { createBus } from '../../src/bus/index.js';
import { KafkaBus } from '../../src/bus/kafka.js';
import type { KafkaBusOptions } from '../../src/bus/kafka-common.js';
import { partitionForKey } from '../../src/bus/partitioner.js';
import { PlatformaticKafkaBus } from '../../src/bus/platformatic-kafka.js';
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

type KafkaTestBus = Bus & { readonly brokerMaxRecordBytes: number; readonly idempotent: boolean };

/** Every Kafka client the bus runs on gets the whole suite. */
const CLIENTS: Array<{ client: string; make: (options: KafkaBusOptions) => KafkaTestBus }> = [
  { client: 'kafkajs', make: (o) => new KafkaBus(o) },
  { client: 'platformatic', make: (o) => new PlatformaticKafkaBus(o) },
];

describe.skipIf(!brokers)('kafka bus', () => {
  const made: Bus[] = [];
  afterAll(async () => {
    await Promise.all(made.map((b) => b.close()));
  });

  for (const { client, make } of CLIENTS) {
    describe(`on ${client}`, () => {
      const newBus = (options: Omit<KafkaBusOptions, 'brokers'> = {}) => {
        const bus = make({ brokers: brokers!, clientId: uniqueName('test'), ...options });
        made.push(bus);
        return bus;
      };
      const makeBus = async () => newBus();

      busContract(`kafka (${client})`, makeBus);
      // The same contract through namespaced buses (plain topic names in, plain names out); every bus of
      // the suite shares the namespace, as the processes of one run do.
      const namespace = `${uniqueName('ns')}.`;
      busContract(`kafka (${client}) with a namespace`, async () => newBus({ namespace }));

      describe(`kafka specifics (${client})`, () => {
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
          const a = newBus({ namespace: nsA });
          const b = newBus({ namespace: nsB });
          const plain = await makeBus();
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
          expect(() => make({ brokers: brokers!, namespace: 'bad name/' })).toThrow(/namespace "bad name\/" may hold only/);
          await plain.ensureTopics([]);
        });

        it('puts each key on the partition of src/bus/partitioner.ts (murmur2 as the Java client)', async () => {
          const bus = await makeBus();
          const topic = uniqueName('partitioning');
          await bus.ensureTopics([{ name: topic, partitions: 7 }]);
          const keys = Array.from({ length: 200 }, (_, i) => `stream-${i}-${'é'.repeat(i % 5)}`);
          await bus.producer().send(topic, keys.map((k) => ({ key: k, value: Buffer.from(k) })));
          const got: BusMessage[] = [];
          const c = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true });
          await c.run(async (batch) => {
            got.push(...batch.messages);
          });
          await waitFor(() => got.length >= keys.length, 'every keyed record');
          await c.stop();
          for (const m of got) expect(m.partition, m.key).toBe(partitionForKey(m.key, 7));
        });

        it('lands every record of concurrent send() calls on one producer exactly once, in order per key', async () => {
          const bus = await makeBus();
          expect(bus.idempotent).toBe(true); // the default
          const topic = uniqueName('concurrent');
          await bus.ensureTopics([{ name: topic, partitions: 2 }]);
          const producer = bus.producer();
          // Many calls at once to the same partitions: with an idempotent producer each request needs its own sequence numbers.
          const calls = 40;
          await Promise.all(
            Array.from({ length: calls }, (_, call) =>
              producer.send(topic, Array.from({ length: 5 }, (_, j) => ({ key: `k${call % 4}`, value: Buffer.from(`${call}:${j}`) }))),
            ),
          );
          const got: BusMessage[] = [];
          const c = bus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true });
          await c.run(async (batch) => {
            got.push(...batch.messages);
          });
          await waitFor(() => got.length >= calls * 5, 'every record of every call');
          await new Promise((r) => setTimeout(r, 300));
          await c.stop();
          expect(got).toHaveLength(calls * 5);
          expect(new Set(got.map((m) => m.value.toString())).size).toBe(calls * 5);
          expect(await bus.lag(uniqueName('g'), topic)).toBe(calls * 5);
          for (let k = 0; k < 4; k++) {
            // Per key: the records of one call stay in order, and the calls in the order they were made.
            const seq = got.filter((m) => m.key === `k${k}`).map((m) => m.value.toString().split(':').map(Number));
            const sorted = [...seq].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
            expect(seq).toEqual(sorted);
          }
        });
      });
    });
  }

  describe('mixed clients', () => {
    it('lets members on kafkajs and on platformatic share a consumer group (a deployment moving between clients)', async () => {
      for (const [first, second] of [
        [CLIENTS[0], CLIENTS[1]],
        [CLIENTS[1], CLIENTS[0]],
      ]) {
        const a = first.make({ brokers: brokers!, clientId: uniqueName('mixed') });
        const b = second.make({ brokers: brokers!, clientId: uniqueName('mixed') });
        made.push(a, b);
        const topic = uniqueName('mixed');
        const groupId = uniqueName('g');
        await a.ensureTopics([{ name: topic, partitions: 4 }]);
        const got: BusMessage[] = [];
        const collect = async (batch: { messages: BusMessage[] }) => {
          got.push(...batch.messages);
        };
        const ca = a.consumer({ groupId, topics: [topic], fromBeginning: true });
        const cb = b.consumer({ groupId, topics: [topic], fromBeginning: true });
        await ca.run(collect);
        await cb.run(collect);
        await waitFor(
          () => (ca.assignment()[topic]?.length ?? 0) === 2 && (cb.assignment()[topic]?.length ?? 0) === 2,
          `${first.client} and ${second.client} members to own 2 partitions each`,
          60_000,
        );
        await a.producer().send(topic, Array.from({ length: 16 }, (_, i) => ({ key: `s${i}`, value: Buffer.from(`v${i}`) })));
        await waitFor(() => new Set(got.map((m) => m.value.toString())).size === 16, 'every record, whichever member owns it');
        await cb.stop();
        await waitFor(() => (ca.assignment()[topic]?.length ?? 0) === 4, 'the remaining member to own all partitions', 60_000);
        await ca.stop();
      }
    });
  });

  describe('client selection', () => {
    it('createBus builds a Kafka bus from KAFKA_BROKERS', async () => {
      const saved = process.env.KAFKA_BROKERS;
      process.env.KAFKA_BROKERS = brokers!.join(',');
      try {
        const bus = createBus();
        expect(bus.kind).toBe('kafka');
        if (!process.env.STREAMLENS_KAFKA_CLIENT) expect(bus).toBeInstanceOf(PlatformaticKafkaBus); // the default client
        await bus.close();
        expect(() => createBus({ kind: 'kafka', brokers: [] })).not.toThrow();
        process.env.KAFKA_BROKERS = 'not a broker';
        expect(() => createBus()).toThrow(/KAFKA_BROKERS entry "not a broker" is not host:port/);
      } finally {
        if (saved === undefined) delete process.env.KAFKA_BROKERS;
        else process.env.KAFKA_BROKERS = saved;
      }
    });

    it('createBus picks the client from the config, else STREAMLENS_KAFKA_CLIENT', async () => {
      const saved = process.env.STREAMLENS_KAFKA_CLIENT;
      try {
        delete process.env.STREAMLENS_KAFKA_CLIENT;
        const p = createBus({ kind: 'kafka', brokers: brokers!, client: 'platformatic' });
        const k = createBus({ kind: 'kafka', brokers: brokers!, client: 'kafkajs' });
        expect(p).toBeInstanceOf(PlatformaticKafkaBus);
        expect(k).toBeInstanceOf(KafkaBus);
        process.env.STREAMLENS_KAFKA_CLIENT = 'platformatic';
        const fromEnv = createBus({ kind: 'kafka', brokers: brokers! });
        expect(fromEnv).toBeInstanceOf(PlatformaticKafkaBus);
        expect(createBus({ kind: 'kafka', brokers: brokers!, client: 'kafkajs' })).toBeInstanceOf(KafkaBus);
        process.env.STREAMLENS_KAFKA_CLIENT = 'rdkafka';
        expect(() => createBus({ kind: 'kafka', brokers: brokers! })).toThrow(/environment variable STREAMLENS_KAFKA_CLIENT="rdkafka": must be .platformatic. or .kafkajs./);
        await Promise.all([p.close(), k.close(), fromEnv.close()]);
      } finally {
        if (saved === undefined) delete process.env.STREAMLENS_KAFKA_CLIENT;
        else process.env.STREAMLENS_KAFKA_CLIENT = saved;
      }
    });
  });
});
