import { kafkaBrokersFromEnv } from './index.js';
import { kafkaStatus } from './kafka-broker.js';

/**
 * Brokers for `--bus kafka`: the `--brokers` flag, else KAFKA_BROKERS, else the local broker
 * started by `streamlens kafka start`. Fails with what to do when none is known.
 */
export async function resolveBrokers(flag?: string): Promise<string[]> {
  if (flag) {
    const list = flag.split(',').map((s) => s.trim()).filter(Boolean);
    for (const b of list) if (!/^[^:\s]+:\d{1,5}$/.test(b)) throw new Error(`--brokers entry "${b}" is not host:port`);
    return list;
  }
  const fromEnv = kafkaBrokersFromEnv();
  if (fromEnv) return fromEnv;
  const status = await kafkaStatus();
  if (status.running && status.reachable && status.brokers?.length) return status.brokers;
  throw new Error('no Kafka brokers: pass --brokers host:port, set KAFKA_BROKERS, or run `streamlens kafka start` first');
}
