/**
 * The bus of one bench scenario. On Kafka (KAFKA_BROKERS set) every scenario gets a namespace of its
 * own, so records an interrupted earlier run left in the topics are never read (they used to inflate
 * the next run's latency), and its topics are deleted when the scenario ends.
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import type { Bus } from '../src/bus/bus.js';
import { busConfigFromEnv, createBus } from '../src/bus/index.js';
import { kafkaStatus } from '../src/bus/kafka-broker.js';

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

/** CPU seconds a process used so far (Linux /proc), or undefined. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

/** The pid of the local broker (`streamlens kafka start`) when KAFKA_BROKERS points at it, else undefined. */
export async function localBrokerPid(): Promise<number | undefined> {
  const config = busConfigFromEnv();
  if (config.kind !== 'kafka') return undefined;
  const status = await kafkaStatus();
  return status.running && status.pid && status.brokers?.some((b) => config.brokers.includes(b)) ? status.pid : undefined;
}

/** CPU cores a process (and, when given, the broker) used over a span: cpuCores(...) at start, then call the result. */
export function cpuCores(brokerPid?: number): () => { bench: number; broker: number | null } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const b0 = brokerPid ? processCpuSeconds(brokerPid) : undefined;
  return () => {
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const b1 = brokerPid ? processCpuSeconds(brokerPid) : undefined;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return { bench: r2((c.user + c.system) / 1e6 / wall), broker: b0 !== undefined && b1 !== undefined ? r2((b1 - b0) / wall) : null };
  };
}
