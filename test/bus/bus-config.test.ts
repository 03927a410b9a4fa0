import { describe, expect, it } from 'vitest';
import { busConfigFromEnv } from '../../src/bus/index.js';
import { KafkaBus } from '../../src/bus/kafka.js';
import { parseConfig } from '../../src/core/config.js';

describe('bus configuration', () => {
  it('reads KAFKA_BROKERS and STREAMLENS_KAFKA_NAMESPACE', () => {
    expect(busConfigFromEnv({})).toEqual({ kind: 'embedded' });
    expect(busConfigFromEnv({ KAFKA_BROKERS: 'a:1,b:2' })).toEqual({ kind: 'kafka', brokers: ['a:1', 'b:2'] });
    expect(busConfigFromEnv({ KAFKA_BROKERS: 'a:1', STREAMLENS_KAFKA_NAMESPACE: ' run-7. ' })).toEqual({ kind: 'kafka', brokers: ['a:1'], namespace: 'run-7.' });
  });

  it('validates the Kafka namespace in the config file and in the bus', () => {
    const ok = parseConfig({ bus: { kind: 'kafka', brokers: ['127.0.0.1:9092'], namespace: 'staging.' } });
    expect(ok.bus).toMatchObject({ kind: 'kafka', namespace: 'staging.' });
    expect(parseConfig({ bus: { kind: 'kafka', brokers: ['127.0.0.1:9092'] } }).bus).toMatchObject({ namespace: '' });
    expect(() => parseConfig({ bus: { kind: 'kafka', brokers: ['127.0.0.1:9092'], namespace: 'a b' } })).toThrow(/namespace.*letters, digits/s);
    expect(() => new KafkaBus({ brokers: ['127.0.0.1:9092'], namespace: 'x/y' })).toThrow(/namespace "x\/y" may hold only/);
    expect(new KafkaBus({ brokers: ['127.0.0.1:9092'], namespace: 'ok_1.' }).namespace).toBe('ok_1.');
  });
});
