import type { Bus } from './bus.js';
import { EmbeddedBus, type EmbeddedBusOptions } from './embedded.js';
import { KafkaBus } from './kafka.js';
import { KAFKA_CLIENTS, type KafkaBusOptions, type KafkaClient } from './kafka-common.js';
import { PlatformaticKafkaBus } from './platformatic-kafka.js';
import { envValue } from '../core/environment.js';

export type BusConfig =
  | ({ kind: 'embedded' } & EmbeddedBusOptions)
  | ({ kind: 'kafka'; brokers: string[]; clientId?: string; client?: KafkaClient } & Omit<KafkaBusOptions, 'brokers' | 'clientId'>);

/**
 * The Kafka client a Kafka bus runs on when neither the config (`bus.client`) nor
 * STREAMLENS_KAFKA_CLIENT names one: @platformatic/kafka, maintained and the faster of the two in
 * every Kafka row of `npm run bench -- bus` (BENCHMARKS.md, bus section). kafkajs stays selectable.
 */
export const DEFAULT_KAFKA_CLIENT: KafkaClient = 'platformatic';

/** Brokers named by `KAFKA_BROKERS=host:port,host:port` (an existing cluster), or undefined. */
export function kafkaBrokersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const raw = envValue('KAFKA_BROKERS', env);
  if (!raw) return undefined;
  const brokers = raw.split(',').map((b) => b.trim()).filter(Boolean);
  for (const b of brokers) {
    if (!/^[^:\s]+:\d{1,5}$/.test(b)) throw new Error(`KAFKA_BROKERS entry "${b}" is not host:port (in "${raw}")`);
  }
  return brokers;
}

/** The Kafka client named by `STREAMLENS_KAFKA_CLIENT` (kafkajs | platformatic), or undefined. */
export function kafkaClientFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaClient | undefined {
  return envValue('STREAMLENS_KAFKA_CLIENT', env);
}

/**
 * The bus the environment asks for: Kafka when KAFKA_BROKERS is set (topics and groups prefixed by
 * STREAMLENS_KAFKA_NAMESPACE, on the client STREAMLENS_KAFKA_CLIENT names, when set), else the embedded bus.
 */
export function busConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BusConfig {
  const brokers = kafkaBrokersFromEnv(env);
  if (!brokers) return { kind: 'embedded' };
  const namespace = envValue('STREAMLENS_KAFKA_NAMESPACE', env);
  const client = kafkaClientFromEnv(env);
  return { kind: 'kafka', brokers, ...(namespace ? { namespace } : {}), ...(client ? { client } : {}) };
}

/**
 * Creates a bus. Without a config it follows the environment (busConfigFromEnv). A Kafka config
 * with no brokers takes them from KAFKA_BROKERS, one with no client from STREAMLENS_KAFKA_CLIENT,
 * else DEFAULT_KAFKA_CLIENT.
 */
export function createBus(config: BusConfig = busConfigFromEnv()): Bus {
  if (config.kind === 'embedded') {
    const { kind: _kind, ...options } = config;
    return new EmbeddedBus(options);
  }
  if (config.kind === 'kafka') {
    const { kind: _kind, client: named, ...options } = config;
    const brokers = options.brokers?.length ? options.brokers : kafkaBrokersFromEnv();
    if (!brokers?.length) throw new Error('a Kafka bus needs brokers: pass them or set KAFKA_BROKERS=host:port,...');
    const client = named ?? kafkaClientFromEnv() ?? DEFAULT_KAFKA_CLIENT;
    if (client === 'platformatic') return new PlatformaticKafkaBus({ ...options, brokers });
    if (client === 'kafkajs') return new KafkaBus({ ...options, brokers });
    throw new Error(`unknown Kafka client "${String(client)}" (expected ${KAFKA_CLIENTS.join(' or ')})`);
  }
  throw new Error(`unknown bus kind "${(config as { kind: unknown }).kind}" (expected embedded or kafka)`);
}

export type { Bus } from './bus.js';
export { EmbeddedBus } from './embedded.js';
export { KafkaBus } from './kafka.js';
export { PlatformaticKafkaBus } from './platformatic-kafka.js';
export { KAFKA_CLIENTS, type KafkaClient } from './kafka-common.js';
