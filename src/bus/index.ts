import type { Bus } from './bus.js';
import { EmbeddedBus, type EmbeddedBusOptions } from './embedded.js';
import { KafkaBus, type KafkaBusOptions } from './kafka.js';

export type BusConfig =
  | ({ kind: 'embedded' } & EmbeddedBusOptions)
  | ({ kind: 'kafka'; brokers: string[]; clientId?: string } & Omit<KafkaBusOptions, 'brokers' | 'clientId'>);

/** Brokers named by `KAFKA_BROKERS=host:port,host:port` (an existing cluster), or undefined. */
export function kafkaBrokersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const raw = env.KAFKA_BROKERS?.trim();
  if (!raw) return undefined;
  const brokers = raw.split(',').map((b) => b.trim()).filter(Boolean);
  for (const b of brokers) {
    if (!/^[^:\s]+:\d{1,5}$/.test(b)) throw new Error(`KAFKA_BROKERS entry "${b}" is not host:port (in "${raw}")`);
  }
  return brokers;
}

/**
 * The bus the environment asks for: Kafka when KAFKA_BROKERS is set (topics and groups prefixed by
 * STREAMLENS_KAFKA_NAMESPACE when set), else the embedded bus.
 */
export function busConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BusConfig {
  const brokers = kafkaBrokersFromEnv(env);
  const namespace = env.STREAMLENS_KAFKA_NAMESPACE?.trim();
  return brokers ? { kind: 'kafka', brokers, ...(namespace ? { namespace } : {}) } : { kind: 'embedded' };
}

/**
 * Creates a bus. Without a config it follows the environment (busConfigFromEnv). A Kafka config
 * with no brokers takes them from KAFKA_BROKERS.
 */
export function createBus(config: BusConfig = busConfigFromEnv()): Bus {
  if (config.kind === 'embedded') {
    const { kind: _kind, ...options } = config;
    return new EmbeddedBus(options);
  }
  if (config.kind === 'kafka') {
    const { kind: _kind, ...options } = config;
    const brokers = options.brokers?.length ? options.brokers : kafkaBrokersFromEnv();
    if (!brokers?.length) throw new Error('a Kafka bus needs brokers: pass them or set KAFKA_BROKERS=host:port,...');
    return new KafkaBus({ ...options, brokers });
  }
  throw new Error(`unknown bus kind "${(config as { kind: unknown }).kind}" (expected embedded or kafka)`);
}

export type { Bus } from './bus.js';
export { EmbeddedBus } from './embedded.js';
export { KafkaBus } from './kafka.js';
