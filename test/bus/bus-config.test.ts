import { describe, expect, it } from 'vitest';
import { busConfigFromEnv, kafkaClientFromEnv } from '../../src/bus/index.js';
import { KafkaBus } from '../../src/bus/kafka.js';
import { PlatformaticKafkaBus } from '../../src/bus/platformatic-kafka.js';
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

  it('reads STREAMLENS_KAFKA_CLIENT and validates bus.client in the config file', () => {
    expect(kafkaClientFromEnv({})).toBeUndefined();
    expect(kafkaClientFromEnv({ STREAMLENS_KAFKA_CLIENT: ' platformatic ' })).toBe('platformatic');
    expect(() => kafkaClientFromEnv({ STREAMLENS_KAFKA_CLIENT: 'rdkafka' })).toThrow(/environment variable STREAMLENS_KAFKA_CLIENT="rdkafka": must be 'platformatic' or 'kafkajs'/);
    expect(busConfigFromEnv({ KAFKA_BROKERS: 'a:1', STREAMLENS_KAFKA_CLIENT: 'kafkajs' })).toEqual({ kind: 'kafka', brokers: ['a:1'], client: 'kafkajs' });
    expect(busConfigFromEnv({ STREAMLENS_KAFKA_CLIENT: 'kafkajs' })).toEqual({ kind: 'embedded' });
    const broker = { kind: 'kafka', brokers: ['127.0.0.1:9092'] };
    expect(parseConfig({ bus: { ...broker, client: 'platformatic' } }).bus).toMatchObject({ client: 'platformatic' });
    expect(parseConfig({ bus: broker }).bus).not.toHaveProperty('client');
    expect(() => parseConfig({ bus: { ...broker, client: 'rdkafka' } })).toThrow(/bus\.client/);
  });

  it('validates the namespace on the platformatic bus too, and turns the idempotent producer on by default', () => {
    expect(() => new PlatformaticKafkaBus({ brokers: ['127.0.0.1:9092'], namespace: 'x/y' })).toThrow(/namespace "x\/y" may hold only/);
    expect(new PlatformaticKafkaBus({ brokers: ['127.0.0.1:9092'] }).idempotent).toBe(true);
    expect(new KafkaBus({ brokers: ['127.0.0.1:9092'] }).idempotent).toBe(true);
    expect(new PlatformaticKafkaBus({ brokers: ['127.0.0.1:9092'], idempotent: false }).idempotent).toBe(false);
  });
});
