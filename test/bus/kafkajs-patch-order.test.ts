import { describe, expect, it } from 'vitest';
// The broker helper loads kafkajs; importing it first must not keep the produce patch out.
import { KAFKA_VERSION } from '../../src/bus/kafka-broker.js';
import { kafkajsFastProduce } from '../../src/bus/kafkajs-fast-produce.js';

describe('kafkajs produce patch, whichever of our kafkajs users loads first', () => {
  it('is installed when src/bus/kafka-broker.ts is the first module to load kafkajs', () => {
    expect(KAFKA_VERSION).toMatch(/^3\.9\./);
    expect(kafkajsFastProduce).toMatchObject({ patched: true });
  });
});
