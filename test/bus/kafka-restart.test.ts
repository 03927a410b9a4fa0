import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Bus, BusMessage } from '../../src/bus/bus.js';
import { KafkaBus } from '../../src/bus/kafka.js';
import { type KafkaHandle, kafkaJarsCached, startKafka } from '../../src/bus/kafka-broker.js';
import type { KafkaBusOptions } from '../../src/bus/kafka-common.js';
import { PlatformaticKafkaBus } from '../../src/bus/platformatic-kafka.js';
import { uniqueName, waitFor } from '../helpers/wait.js';

/**
 * A running consumer outlives a broker restart, on every Kafka client: this file starts a broker of
 * its own (the shared test broker cannot be restarted), stops it under a running consumer and starts
 * it again on the same port and data; records produced after the restart must arrive. Needs java and
 * the cached Kafka jars (see src/bus/kafka-broker.ts); skipped without them, failing under CI.
 */
const CLIENTS: Array<{ client: string; make: (options: KafkaBusOptions) => Bus }> = [
  { client: 'kafkajs', make: (o) => new KafkaBus(o) },
  { client: 'platformatic', make: (o) => new PlatformaticKafkaBus(o) },
];

const canRun = kafkaJarsCached() || process.env.CI === 'true';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!canRun)('kafka bus across a broker restart', () => {
  const dirs: string[] = [];
  const brokers: KafkaHandle[] = [];
  afterAll(async () => {
    await Promise.all(brokers.map((b) => b.stop().catch(() => undefined)));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const { client, make } of CLIENTS) {
    it(`keeps a running consumer consuming after the broker restarts (${client})`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'streamlens-restart-'));
      dirs.push(dataDir);
      const [port, controllerPort] = [await freePort(), await freePort()];
      const start = async () => {
        const b = await startKafka({ port, controllerPort, dataDir, log: () => undefined });
        brokers.push(b);
        return b;
      };
      const first = await start();
      const bus = make({ brokers: first.brokers, clientId: uniqueName('restart') });
      const consumerBus = make({ brokers: first.brokers, clientId: uniqueName('restart') });
      try {
        const topic = uniqueName('restart');
        await bus.ensureTopics([{ name: topic, partitions: 2 }]);
        const got: BusMessage[] = [];
        const c = consumerBus.consumer({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true });
        await c.run(async (batch) => {
          got.push(...batch.messages);
        });
        const values = (round: string) => Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 4}`, value: Buffer.from(`${round}${i}`) }));
        await bus.producer().send(topic, values('a'));
        await waitFor(() => got.length >= 20, 'the records before the restart');

        await first.stop();
        await new Promise((r) => setTimeout(r, Number(process.env.RESTART_PAUSE_MS ?? 2_000)));
        const restarted = Date.now();
        await start();
        // The producer may need a try or two while it reconnects; each send is all-or-nothing per request here.
        await waitFor(
          async () =>
            bus
              .producer()
              .send(topic, values('b'))
              .then(
                () => true,
                () => false,
              ),
          'a send after the restart',
          60_000,
          500,
        );
        const seen = () => new Set(got.map((m) => m.value.toString()));
        await waitFor(() => Array.from({ length: 20 }, (_, i) => `b${i}`).every((v) => seen().has(v)), 'the records after the restart', 90_000);
        if (process.env.RESTART_PAUSE_MS) process.stderr.write(`[restart] ${client}: consuming again ${Date.now() - restarted} ms after the restart began\n`);
        await c.stop();
        expect(seen().size).toBe(40);
      } finally {
        await Promise.all([bus.close(), consumerBus.close()]);
      }
    }, 240_000);
  }
});
