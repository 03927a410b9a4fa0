/**
 * A faster produce path for kafkajs 2.2.4 (unmaintained, so its internals no longer move).
 *
 * kafkajs encodes every record into its own growing, zero-filled buffer, copies it into the
 * batch, the batch into the partition, the partition into the request, and checksums with a
 * byte-at-a-time CRC32C; it also groups messages per partition with a quadratic copy. At 1 KB
 * records that is most of the client's CPU per message (BENCHMARKS.md, bus section).
 *
 * This module replaces two kafkajs modules through Node's CommonJS cache, before kafkajs loads
 * them (import it before 'kafkajs'):
 * - `produce/v3/request` (v4..v7 delegate to it): uncompressed requests whose records carry no
 *   explicit timestamp (the bus never sets one) are measured first and written once into one
 *   buffer, with a slicing-by-8 CRC32C. Anything else goes to kafkajs' own encoder.
 * - `producer/groupMessagesPerPartition`: the same grouping in linear time.
 * The bytes are identical to kafkajs' own (test/bus/kafkajs-fast-produce.test.ts compares them
 * on random requests). With another kafkajs version nothing is patched and a line says so.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const PATCHED_KAFKAJS_VERSION = '2.2.4';

type HeaderValue = string | Buffer | null | undefined | Array<string | Buffer>;
interface ProduceMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, HeaderValue>;
  timestamp?: string | number;
}
interface PartitionData {
  partition: number;
  firstSequence?: number;
  messages: ProduceMessage[];
}
interface TopicData {
  topic: string;
  partitions: PartitionData[];
}
export interface ProduceRequestArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: TopicData[];
}

// ---- CRC32C (Castagnoli), slicing by 8 ---------------------------------------------------

const CRC_TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/** CRC32C of buf[start, end). */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  const T = CRC_TABLES;
  let crc = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = crc ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    crc =
      T[1792 + (a & 0xff)] ^
      T[1536 + ((a >>> 8) & 0xff)] ^
      T[1280 + ((a >>> 16) & 0xff)] ^
      T[1024 + (a >>> 24)] ^
      T[768 + buf[i + 4]] ^
      T[512 + buf[i + 5]] ^
      T[256 + buf[i + 6]] ^
      T[buf[i + 7]];
  }
  for (; i < end; i++) crc = T[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

// ---- sizes and writers ---------------------------------------------------------------------

const zigzag32 = (v: number) => ((v << 1) ^ (v >> 31)) >>> 0;

function uvarintSize(u: number): number {
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}
const varintSize = (v: number) => uvarintSize(zigzag32(v));

function writeVarint(buf: Buffer, at: number, v: number): number {
  let u = zigzag32(v);
  while (u >= 0x80) {
    buf[at++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[at++] = u;
  return at;
}

const bytesOf = (v: string | Buffer): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8'));

interface EncodedRecord {
  bodySize: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[Buffer, Buffer | null]>;
}

function prepareRecord(m: ProduceMessage, offsetDelta: number): EncodedRecord {
  const key = m.key == null ? null : bytesOf(m.key);
  const value = m.value == null ? null : bytesOf(m.value);
  const headers: Array<[Buffer, Buffer | null]> = [];
  if (m.headers) {
    for (const k of Object.keys(m.headers)) {
      const hv = m.headers[k];
      const values = Array.isArray(hv) ? hv : [hv];
      for (const v of values) headers.push([Buffer.from(k, 'utf8'), v == null ? null : bytesOf(v)]);
    }
  }
  let body = 1 /* attributes */ + 1 /* timestampDelta 0 as varlong */ + varintSize(offsetDelta);
  body += key ? varintSize(key.length) + key.length : varintSize(-1);
  body += value ? varintSize(value.length) + value.length : varintSize(-1);
  body += varintSize(headers.length);
  for (const [k, v] of headers) body += varintSize(k.length) + k.length + (v ? varintSize(v.length) + v.length : varintSize(-1));
  return { bodySize: body, key, value, headers };
}

function writeBytesVarint(buf: Buffer, at: number, b: Buffer | null): number {
  if (!b) return writeVarint(buf, at, -1);
  at = writeVarint(buf, at, b.length);
  return at + b.copy(buf, at);
}

const RECORD_BATCH_OVERHEAD = 8 /* firstOffset */ + 4 /* length */ + 4 /* leader epoch */ + 1 /* magic */ + 4 /* crc */ + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4; /* attributes .. record count */

/** Whether the fast encoder handles this request (else kafkajs' own encoder runs). */
export function fastPathApplies(a: ProduceRequestArgs): boolean {
  if ((a.compression ?? 0) !== 0) return false;
  for (const t of a.topicData) for (const p of t.partitions) for (const m of p.messages) if (m.timestamp != null) return false;
  return true;
}

/**
 * The body of a Produce v3 request (what kafkajs' v3 `encode()` returns), written once into one
 * buffer. Only for requests where `fastPathApplies`.
 */
export function encodeProduceV3Body(a: ProduceRequestArgs, producerIdBytes: (id: unknown) => Buffer, now = Date.now()): Buffer {
  const txn = a.transactionalId == null ? null : Buffer.from(a.transactionalId, 'utf8');
  const producerId = producerIdBytes(a.producerId);
  const topics = a.topicData.map((t) => ({
    name: Buffer.from(t.topic, 'utf8'),
    partitions: t.partitions.map((p) => {
      const records = p.messages.map((m, i) => prepareRecord(m, i));
      let recordsBytes = 0;
      for (const r of records) recordsBytes += uvarintSize(zigzag32(r.bodySize)) + r.bodySize;
      return { p, records, batchBytes: RECORD_BATCH_OVERHEAD + recordsBytes };
    }),
  }));
  let size = 2 + (txn ? txn.length : 0) + 2 + 4 + 4;
  for (const t of topics) {
    size += 2 + t.name.length + 4;
    for (const p of t.partitions) size += 4 + 4 + p.batchBytes;
  }
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  at = buf.writeInt16BE(txn ? txn.length : -1, at);
  if (txn) at += txn.copy(buf, at);
  at = buf.writeInt16BE(a.acks, at);
  at = buf.writeInt32BE(a.timeout, at);
  at = buf.writeInt32BE(topics.length, at);
  for (const t of topics) {
    at = buf.writeInt16BE(t.name.length, at);
    at += t.name.copy(buf, at);
    at = buf.writeInt32BE(t.partitions.length, at);
    for (const { p, records, batchBytes } of t.partitions) {
      at = buf.writeInt32BE(p.partition, at);
      at = buf.writeInt32BE(batchBytes, at); // size of the record-batch encoder (firstOffset + bytes)
      at = buf.writeBigInt64BE(0n, at); // firstOffset
      at = buf.writeInt32BE(batchBytes - 12, at); // length of the bytes that follow
      at = buf.writeInt32BE(0, at); // partitionLeaderEpoch
      buf[at++] = 2; // magic
      const crcAt = at;
      at += 4;
      const bodyStart = at;
      at = buf.writeInt16BE(a.transactionalId ? 16 : 0, at); // attributes: no compression, create time, transactional bit
      at = buf.writeInt32BE(records.length - 1, at); // lastOffsetDelta
      at = buf.writeBigInt64BE(BigInt(now), at); // firstTimestamp
      at = buf.writeBigInt64BE(BigInt(now), at); // maxTimestamp
      at += producerId.copy(buf, at);
      at = buf.writeInt16BE(a.producerEpoch ?? 0, at);
      at = buf.writeInt32BE(p.firstSequence ?? 0, at);
      at = buf.writeInt32BE(records.length, at);
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        at = writeVarint(buf, at, r.bodySize);
        buf[at++] = 0; // attributes
        buf[at++] = 0; // timestampDelta (varlong 0)
        at = writeVarint(buf, at, i); // offsetDelta
        at = writeBytesVarint(buf, at, r.key);
        at = writeBytesVarint(buf, at, r.value);
        at = writeVarint(buf, at, r.headers.length);
        for (const [k, v] of r.headers) {
          at = writeBytesVarint(buf, at, k);
          at = writeBytesVarint(buf, at, v);
        }
      }
      buf.writeUInt32BE(crc32c(buf, bodyStart, at), crcAt);
    }
  }
  if (at !== size) throw new Error(`kafkajs fast produce: wrote ${at} bytes, measured ${size}`);
  return buf;
}

/** The same grouping as kafkajs' groupMessagesPerPartition, in linear time. */
function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }: { topic: string; partitionMetadata: unknown[]; messages: unknown[]; partitioner: (a: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number }): Record<number, unknown[]> {
  if (partitionMetadata.length === 0) return {};
  const result: Record<number, unknown[]> = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

// ---- the patch ----------------------------------------------------------------------------

type ProduceRequestV3 = (a: ProduceRequestArgs) => { apiKey: number; apiVersion: number; encode: () => Promise<{ buffer: Buffer }> };
export type PatchState =
  | { patched: true; /** kafkajs' own v3 request (kept for requests the fast path does not take, and for tests). */ original: ProduceRequestV3; fast: ProduceRequestV3 }
  | { patched: false; reason: string };

function installPatch(): PatchState {
  let version: string;
  try {
    version = (require('kafkajs/package.json') as { version: string }).version;
  } catch (e) {
    return { patched: false, reason: `kafkajs not found: ${(e as Error).message}` };
  }
  if (version !== PATCHED_KAFKAJS_VERSION) return { patched: false, reason: `kafkajs ${version} is not ${PATCHED_KAFKAJS_VERSION}` };
  const requestPath = require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js');
  const groupPath = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
  const cache = require.cache;
  if (cache[require.resolve('kafkajs/src/producer/sendMessages.js')]) {
    return { patched: false, reason: 'kafkajs was loaded before the patch (import src/bus/kafkajs-fast-produce.ts first)' };
  }
  const original = require(requestPath) as ProduceRequestV3;
  const Encoder = require('kafkajs/src/protocol/encoder.js') as new (size?: number) => { buf: Buffer; offset: number; buffer: Buffer };
  const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): { getHighBits(): number; getLowBits(): number } };
  const producerIdBytes = (id: unknown): Buffer => {
    const l = Long.fromValue(id ?? -1);
    const b = Buffer.allocUnsafe(8);
    b.writeInt32BE(l.getHighBits(), 0);
    b.writeInt32BE(l.getLowBits(), 4);
    return b;
  };
  const fast: ProduceRequestV3 = (a) => {
    const req = original(a);
    if (!fastPathApplies(a)) return req;
    return {
      ...req,
      encode: async () => {
        const e = new Encoder(0);
        e.buf = encodeProduceV3Body(a, producerIdBytes);
        e.offset = e.buf.length;
        return e;
      },
    };
  };
  cache[requestPath]!.exports = fast;
  require(groupPath);
  cache[groupPath]!.exports = groupMessagesPerPartition;
  return { patched: true, original, fast };
}

export const kafkajsFastProduce: PatchState = installPatch();
