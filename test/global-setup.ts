import { readFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { kafkaBrokersFromEnv } from '../src/bus/index.js';
import { type KafkaHandle, startKafka } from '../src/bus/kafka-broker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Brokers of the Kafka the tests use, or null when none could be had (see kafkaUnavailable). */
    kafkaBrokers: string[] | null;
    kafkaUnavailable: string;
  }
}

/**
 * Global test setup: one Kafka broker for the whole run (unless KAFKA_BROKERS names one), handed
 * to the tests with provide('kafkaBrokers'). It is started only when a selected test file uses
 * it (mentions `kafkaBrokers`), so `vitest run test/<other area>` pays nothing.
 */
export default async function setup(project: TestProject): Promise<void | (() => Promise<void>)> {
  project.provide('kafkaBrokers', null);
  project.provide('kafkaUnavailable', '');
  const fromEnv = kafkaBrokersFromEnv();
  if (fromEnv) {
    project.provide('kafkaBrokers', fromEnv);
    return;
  }
  if (!(await selectedFilesNeedKafka(project))) return;
  let broker: KafkaHandle;
  try {
    const started = Date.now();
    broker = await startKafka({ log: (line) => process.stderr.write(`[global-setup kafka] ${line}\n`) });
    process.stderr.write(`[global-setup kafka] broker up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${broker.brokers.join(',')}\n`);
  } catch (e) {
    const reason = (e as Error).message;
    process.stderr.write(`[global-setup kafka] NO KAFKA BROKER: ${reason}\n`);
    project.provide('kafkaUnavailable', reason);
    return;
  }
  project.provide('kafkaBrokers', broker.brokers);
  return () => broker.stop();
}

/** Options of the vitest CLI that take a separate value (so the value is not a file filter). */
const OPTIONS_WITH_VALUES = new Set([
  '-t', '--testNamePattern', '--reporter', '--project', '-c', '--config', '-r', '--root', '--dir', '--pool',
  '--maxWorkers', '--minWorkers', '--shard', '--outputFile', '--environment', '--mode', '--exclude', '--testTimeout', '--hookTimeout',
]);

async function selectedFilesNeedKafka(project: TestProject): Promise<boolean> {
  const args = process.argv.slice(2);
  const filters: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('-')) {
      if (OPTIONS_WITH_VALUES.has(a)) i++;
      continue;
    }
    if (['run', 'watch', 'dev', 'related'].includes(a) && filters.length === 0) continue;
    filters.push(a);
  }
  const { testFiles } = await project.globTestFiles(filters);
  // Filters that match nothing (an unusual CLI form): be safe and start the broker.
  if (testFiles.length === 0) return true;
  return testFiles.some((f) => {
    try {
      return readFileSync(f, 'utf8').includes('kafkaBrokers');
    } catch {
      return false;
    }
  });
}
