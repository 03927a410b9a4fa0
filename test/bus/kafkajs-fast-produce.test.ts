import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SeededRandom } from '../../src/analysis/random.js';
import { type ProduceRequestArgs, crc32c, fastPathApplies, kafkajsFastProduce } from '../../src/bus/kafkajs-fast-produce.js';

const require = createRequire(import.meta.url);
const kafkajsCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
const Long = require('kafkajs/src/utils/long.js') as { fromInt(v: number): unknown; fromValue(v: unknown): unknown };

function randomBytes(rng: SeededRandom, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

function randomRequest(rng: SeededRandom): ProduceRequestArgs {
  const words = ['mic-1', 'cam-ü', '', 'x'.repeat(300), 'stream-7'];
  return {
    acks: [-1, 1][rng.int(2)],
    timeout: 30_000,
    transactionalId: rng.int(3) === 0 ? 'txn-1' : null,
    producerId: rng.int(2) ? Long.fromInt(-1) : Long.fromValue(123456789012),
    producerEpoch: rng.int(3),
    compression: 0,
    topicData: Array.from({ length: 1 + rng.int(2) }, (_, t) => ({
      topic: `topic-${t}-ü`,
      partitions: Array.from({ length: 1 + rng.int(4) }, (_, p) => ({
        partition: p,
        firstSequence: rng.int(2) ? rng.int(1000) : undefined,
        messages: Array.from({ length: 1 + rng.int(120) }, () => ({
          key: [null, words[rng.int(words.length)], randomBytes(rng, rng.int(20))][rng.int(3)],
          value: rng.int(10) === 0 ? null : rng.int(4) === 0 ? 'text ✓ value' : randomBytes(rng, rng.int(60) === 0 ? 70_000 : rng.int(2000)),
          headers: rng.int(2) ? { a: 'b', 'dlq.reason': words[rng.int(words.length)], many: ['1', Buffer.from([0, 255])] } : undefined,
        })),
      })),
    })),
  };
}

describe('kafkajs fast produce path', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is installed for the pinned kafkajs version', () => {
    expect(kafkajsFastProduce).toMatchObject({ patched: true });
  });

  it('computes the same CRC32C as kafkajs on every length and offset', () => {
    const rng = new SeededRandom(3);
    for (let n = 0; n < 300; n += 7) {
      const b = randomBytes(rng, n + 16);
      expect(crc32c(b, 5, 5 + n)).toBe(kafkajsCrc32C(b.subarray(5, 5 + n)));
    }
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283); // the standard CRC-32C check value
  });

  it('writes byte-for-byte the request kafkajs writes, on random requests', async () => {
    if (!kafkajsFastProduce.patched) throw new Error(kafkajsFastProduce.reason);
    const { original, fast } = kafkajsFastProduce;
    vi.spyOn(Date, 'now').mockReturnValue(1_790_000_000_000);
    const rng = new SeededRandom(11);
    for (let i = 0; i < 15; i++) {
      const req = randomRequest(rng);
      expect(fastPathApplies(req)).toBe(true);
      const want = (await original(req).encode()).buffer;
      const got = (await fast(req).encode()).buffer;
      expect(got.length).toBe(want.length);
      expect(got.equals(want)).toBe(true);
      expect(fast(req).apiVersion).toBe(3);
    }
  });

  it('leaves compressed requests and records with explicit timestamps to kafkajs', async () => {
    if (!kafkajsFastProduce.patched) throw new Error(kafkajsFastProduce.reason);
    const base = randomRequest(new SeededRandom(5));
    expect(fastPathApplies({ ...base, compression: 1 })).toBe(false);
    const stamped = { ...base, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: Buffer.from('v'), timestamp: '1790000000000' }] }] }] };
    expect(fastPathApplies(stamped)).toBe(false);
    const { original, fast } = kafkajsFastProduce;
    expect((await fast(stamped).encode()).buffer.equals((await original(stamped).encode()).buffer)).toBe(true);
  });
});
