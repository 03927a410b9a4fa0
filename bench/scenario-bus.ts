/**
 * The bus of one bench scenario. On Kafka (KAFKA_BROKERS set) every scenario gets a namespace of its
 * own, so records an interrupted earlier run left in the topics are never read (they used to inflate
 * the next run's latency), and its topics are deleted when the scenario ends.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { Bus } from '../src/bus/bus.js';
import { busConfigFromEnv, createBus } from '../src/bus/index.js';

export interface ScenarioBus {
  bus: Bus;
  /** Close the bus and, on Kafka, delete the scenario's topics. */
  close(): Promise<void>;
}

/** The buses an end-to-end bench compares in one run: embedded always, Kafka too when KAFKA_BROKERS is set. */
export function benchBuses(): ('embedded' | 'kafka')[] {
  return busConfigFromEnv().kind === 'kafka' ? ['embedded', 'kafka'] : ['embedded'];
}

export function scenarioBus(scenario: string, kind: 'embedded' | 'kafka' = busConfigFromEnv().kind): ScenarioBus {
  const config = busConfigFromEnv();
  if (config.kind !== 'kafka' || kind === 'embedded') {
    const bus = createBus(kind === 'embedded' ? { kind: 'embedded' } : config);
    return { bus, close: () => bus.close() };
  }
  const namespace = `${config.namespace ?? ''}bench-${scenario}-${Date.now().toString(36)}.`;
  const bus = createBus({ ...config, namespace });
  return {
    bus,
    close: async () => {
      await bus.close();
      const admin = new Kafka({ brokers: config.brokers, clientId: 'bench-cleanup', logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const topics = (await admin.listTopics()).filter((t) => t.startsWith(namespace));
        if (topics.length) await admin.deleteTopics({ topics, timeout: 30_000 });
      } catch (e) {
        process.stderr.write(`[bench] could not delete the topics of ${namespace}: ${(e as Error).message}\n`);
      } finally {
        await admin.disconnect();
      }
    },
  };
}
