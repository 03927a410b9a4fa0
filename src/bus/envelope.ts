import { z } from 'zod';
import { type Route, routeSchema } from '../core/route.js';
import { jsonErrorSummary } from '../core/redact.js';

export type { Route } from '../core/route.js';

/**
 * Typed, versioned envelopes. Everything travels in the record value, so a bus record needs no
 * headers (Kafka record headers cost the broker ~10x more CPU per record than the value bytes:
 * BENCHMARKS.md, bus section). Layout, little-endian:
 *
 *   0  magic "SL"            2  u8 version (3)          3  u8 payload kind (pcm16/float32/jpeg/json)
 *   4  u8 message type code  5  u8 flags (0)            6  u16 streamId bytes
 *   8  f64 seq               16 f64 capturedAt (epoch ms, set once at ingest and carried through)
 *   24 u32 stageTimes bytes  28 u32 meta bytes          32 u32 route bytes
 *   36 streamId (UTF-8) | stageTimes (JSON object of per-stage ms, appended per stage; may be empty)
 *      | route (JSON: the stream's model route, chosen at ingest; may be empty)
 *      | meta (small UTF-8 JSON) | payload bytes (PCM, tensor, JPEG, or a JSON body)
 *
 * Version 2 (the same without the route field; header 32 bytes) is still read, so a rolling upgrade
 * never dead-letters what older processes left on the bus; it decodes with no route.
 *
 * Binary payloads (PCM, tensors, JPEG) are raw bytes after the header; JSON is used only for
 * course records and predictions. Bus headers stay available for dead letters (`dlq.*`).
 */
export const ENVELOPE_VERSION = 3;
/** Older version still decoded (no route). */
const PREVIOUS_VERSION = 2;
const MAGIC0 = 0x53; // 'S'
const MAGIC1 = 0x4c; // 'L'
const HEADER_BYTES = 36;
const HEADER_BYTES_V2 = 32;
/** Longest stream id (UTF-8 bytes) an envelope carries. */
export const MAX_STREAM_ID_BYTES = 1024;

export const MESSAGE_TYPES = [
  'audio.chunk',
  'audio.window',
  'video.frame',
  'video.tensor',
  'course.raw',
  'course.enriched',
  'prediction',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Binary value kinds. */
const KIND = { pcm16: 1, float32: 2, jpeg: 3, json: 4, uint8: 5 } as const;
type Kind = keyof typeof KIND;
const KIND_BY_CODE = new Map<number, Kind>(Object.entries(KIND).map(([k, v]) => [v, k as Kind]));

export class EnvelopeError extends Error {
  constructor(
    message: string,
    readonly reason: 'decode' | 'version' | 'schema' | 'size' | 'unknown-type',
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}


export interface EnvelopeMeta {
  streamId: string;
  seq: number;
  capturedAt: number;
  stageTimes?: Record<string, number>;
  /** The stream's model route (src/core/route.ts), chosen at ingest; absent on messages from older producers. */
  route?: Route;
}

// ---- payload schemas ----------------------------------------------------------------------

export const audioChunkMeta = z.object({
  sampleRate: z.number().int().positive(),
  channels: z.literal(1),
  /** Seconds since the stream started, of the chunk's first sample. */
  startSec: z.number().nonnegative(),
  /** The source ended after this chunk. */
  final: z.boolean().optional(),
});
export type AudioChunkMeta = z.infer<typeof audioChunkMeta>;

export const tensorMeta = z.object({
  shape: z.array(z.number().int().nonnegative()).min(1),
});

export const audioWindowMeta = tensorMeta.extend({
  startSec: z.number(),
  endSec: z.number(),
  speech: z.boolean(),
  rmsDb: z.number().optional(),
  /** Which feature settings produced it (the model manifest's hash of them). */
  featureKey: z.string().optional(),
});
export type AudioWindowMeta = z.infer<typeof audioWindowMeta>;

export const videoFrameMeta = z.object({
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  /** Seconds since the stream started. */
  ptsSec: z.number().nonnegative().optional(),
  source: z.string().optional(),
});
export type VideoFrameMeta = z.infer<typeof videoFrameMeta>;

export const videoTensorMeta = tensorMeta.extend({
  ptsSec: z.number().nonnegative().optional(),
  /**
   * 'f32': the model input itself (Float32). 'rgb8': the resized RGB bytes before scaling, a quarter of
   * the bytes on the bus; the inference stage normalises them with the model's feature settings through
   * the same function (src/features/image/preprocess.ts normaliseRgb), so the model input is identical.
   */
  encoding: z.enum(['f32', 'rgb8']).optional(),
  featureKey: z.string().optional(),
  /** The JPEG the tensor was made from travels along, so the dashboard can show it. */
  jpegBytes: z.number().int().nonnegative().optional(),
});
export type VideoTensorMeta = z.infer<typeof videoTensorMeta>;

export const predictionSchema = z.object({
  /**
   * Stable id of the prediction (src/bus/prediction-id.ts: from stream, kind, seq and capture time), the
   * key of feedback (POST /api/feedback). Absent from older producers; the gateway derives it then.
   */
  id: z.string().max(64).optional(),
  streamId: z.string(),
  kind: z.enum(['audio', 'image', 'course']),
  seq: z.number().int().nonnegative(),
  window: z.object({ start: z.number(), end: z.number() }).optional(),
  label: z.string(),
  scores: z.record(z.string(), z.number()),
  speech: z.boolean().optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
  model: z.object({ name: z.string(), version: z.string() }),
  latencyMs: z.record(z.string(), z.number()),
  explanation: z.unknown().nullable().optional(),
});
export type Prediction = z.infer<typeof predictionSchema>;

// ---- binary codec -------------------------------------------------------------------------

const EMPTY = Buffer.alloc(0);
const TYPE_CODE = new Map<MessageType, number>(MESSAGE_TYPES.map((t, i) => [t, i + 1]));

function encodeFrame(type: MessageType, env: EnvelopeMeta, kind: Kind, meta: unknown, payload: Uint8Array): Buffer {
  const streamId = Buffer.from(env.streamId, 'utf8');
  if (streamId.length === 0) throw new EnvelopeError('envelope needs a stream id', 'schema');
  if (streamId.length > MAX_STREAM_ID_BYTES) throw new EnvelopeError(`stream id is ${streamId.length} bytes (at most ${MAX_STREAM_ID_BYTES})`, 'schema');
  if (!Number.isSafeInteger(env.seq) || env.seq < 0) throw new EnvelopeError(`bad seq: ${env.seq}`, 'schema');
  if (!Number.isFinite(env.capturedAt)) throw new EnvelopeError(`bad capturedAt: ${env.capturedAt}`, 'schema');
  const stageTimes = env.stageTimes ? Buffer.from(JSON.stringify(env.stageTimes), 'utf8') : EMPTY;
  const route = env.route ? routeBytes(env.route) : EMPTY;
  const metaBytes = Buffer.from(JSON.stringify(meta ?? {}), 'utf8');
  const out = Buffer.allocUnsafe(HEADER_BYTES + streamId.length + stageTimes.length + route.length + metaBytes.length + payload.byteLength);
  out[0] = MAGIC0;
  out[1] = MAGIC1;
  out[2] = ENVELOPE_VERSION;
  out[3] = KIND[kind];
  out[4] = TYPE_CODE.get(type)!;
  out[5] = 0;
  out.writeUInt16LE(streamId.length, 6);
  out.writeDoubleLE(env.seq, 8);
  out.writeDoubleLE(env.capturedAt, 16);
  out.writeUInt32LE(stageTimes.length, 24);
  out.writeUInt32LE(metaBytes.length, 28);
  out.writeUInt32LE(route.length, 32);
  let at = HEADER_BYTES;
  at += streamId.copy(out, at);
  at += stageTimes.copy(out, at);
  at += route.copy(out, at);
  at += metaBytes.copy(out, at);
  out.set(payload, at);
  return out;
}

function decodeFrame(value: Buffer): { type: MessageType; env: EnvelopeMeta; kind: Kind; meta: unknown; payload: Buffer } {
  if (value.length < 3 || value[0] !== MAGIC0 || value[1] !== MAGIC1) {
    throw new EnvelopeError('value is not a streamlens envelope (bad magic)', 'decode');
  }
  const version = value[2];
  if (version !== ENVELOPE_VERSION && version !== PREVIOUS_VERSION) {
    throw new EnvelopeError(`unknown schema version ${version} (this build reads ${PREVIOUS_VERSION} and ${ENVELOPE_VERSION})`, 'version');
  }
  const headerBytes = version === ENVELOPE_VERSION ? HEADER_BYTES : HEADER_BYTES_V2;
  if (value.length < headerBytes) throw new EnvelopeError(`truncated envelope: ${value.length} bytes, the header alone is ${headerBytes}`, 'decode');
  const kind = KIND_BY_CODE.get(value[3]);
  if (!kind) throw new EnvelopeError(`unknown payload kind ${value[3]}`, 'decode');
  const type = MESSAGE_TYPES[value[4] - 1];
  if (!type) throw new EnvelopeError(`unknown message type code ${value[4]}`, 'unknown-type');
  const idBytes = value.readUInt16LE(6);
  const seq = value.readDoubleLE(8);
  const capturedAt = value.readDoubleLE(16);
  const stBytes = value.readUInt32LE(24);
  const metaBytes = value.readUInt32LE(28);
  const rtBytes = version === ENVELOPE_VERSION ? value.readUInt32LE(32) : 0;
  if (!Number.isSafeInteger(seq) || seq < 0) throw new EnvelopeError(`bad seq: ${seq}`, 'schema');
  if (!Number.isFinite(capturedAt)) throw new EnvelopeError(`bad capturedAt: ${capturedAt}`, 'schema');
  const routeStart = headerBytes + idBytes + stBytes;
  const metaStart = routeStart + rtBytes;
  if (metaStart + metaBytes > value.length) throw new EnvelopeError('truncated envelope: stream id, stage times, route or meta run past the end', 'decode');
  if (idBytes === 0) throw new EnvelopeError('envelope has an empty stream id', 'schema');
  const streamId = value.toString('utf8', headerBytes, headerBytes + idBytes);
  let stageTimes: Record<string, number> | undefined;
  if (stBytes > 0) {
    try {
      stageTimes = JSON.parse(value.toString('utf8', headerBytes + idBytes, routeStart));
    } catch {
      throw new EnvelopeError('envelope stage times are not JSON', 'schema');
    }
  }
  let route: Route | undefined;
  if (rtBytes > 0) route = parseRoute(value.toString('utf8', routeStart, metaStart));
  let meta: unknown;
  try {
    meta = JSON.parse(value.toString('utf8', metaStart, metaStart + metaBytes));
  } catch (e) {
    throw new EnvelopeError(`envelope meta is not valid JSON (${jsonErrorSummary(e)})`, 'decode');
  }
  return { type, env: { streamId, seq, capturedAt, ...(stageTimes ? { stageTimes } : {}), ...(route ? { route } : {}) }, kind, meta, payload: value.subarray(metaStart + metaBytes) };
}

/** Routes repeat on every message of a stream: their encoding is cached by identity. */
const routeCache = new WeakMap<Route, Buffer>();
function routeBytes(route: Route): Buffer {
  let b = routeCache.get(route);
  if (!b) {
    const r = routeSchema.safeParse(route);
    if (!r.success) throw new EnvelopeError(`bad route: ${r.error.issues[0].path.join('.') || '(root)'}: ${r.error.issues[0].message}`, 'schema');
    routeCache.set(route, (b = Buffer.from(JSON.stringify(r.data), 'utf8')));
  }
  return b;
}

/** Decoded routes repeat too: parsed once per distinct text (bounded). */
const parsedRoutes = new Map<string, Route>();
function parseRoute(text: string): Route {
  const hit = parsedRoutes.get(text);
  if (hit) return hit;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new EnvelopeError('envelope route is not JSON', 'schema');
  }
  const r = routeSchema.safeParse(raw);
  if (!r.success) throw new EnvelopeError(`envelope route: ${r.error.issues[0].path.join('.') || '(root)'}: ${r.error.issues[0].message}`, 'schema');
  if (parsedRoutes.size >= 1024) parsedRoutes.clear();
  parsedRoutes.set(text, Object.freeze(r.data) as Route);
  return parsedRoutes.get(text)!;
}

/** Float32 view over a payload (copies only when the bytes are not 4-aligned). */
export function float32View(payload: Buffer): Float32Array {
  if (payload.byteLength % 4 !== 0) throw new EnvelopeError('float32 payload length is not a multiple of 4', 'decode');
  if (payload.byteOffset % 4 === 0) return new Float32Array(payload.buffer, payload.byteOffset, payload.byteLength / 4);
  return new Float32Array(new Uint8Array(payload).buffer);
}

export function int16View(payload: Buffer): Int16Array {
  if (payload.byteLength % 2 !== 0) throw new EnvelopeError('PCM payload length is odd (Int16LE expected)', 'decode');
  if (payload.byteOffset % 2 === 0) return new Int16Array(payload.buffer, payload.byteOffset, payload.byteLength / 2);
  return new Int16Array(new Uint8Array(payload).buffer);
}

function bytesOf(a: Float32Array | Int16Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

// ---- envelope fields ------------------------------------------------------------------------

/**
 * The envelope fields as human-readable bus headers, for records that are NOT envelopes (raw
 * input that failed to parse, sent to a dead-letter topic), so they still say where they came from.
 */
export function envelopeHeaders(type: MessageType, meta: EnvelopeMeta): Record<string, string> {
  const h: Record<string, string> = {
    v: String(ENVELOPE_VERSION),
    type,
    streamId: meta.streamId,
    seq: String(meta.seq),
    capturedAt: String(meta.capturedAt),
  };
  if (meta.stageTimes) h.stageTimes = JSON.stringify(meta.stageTimes);
  if (meta.route) h.route = JSON.stringify(meta.route);
  return h;
}

/** Reads only the envelope fields (type, stream, seq, times) of a value, without its payload. */
export function readEnvelope(value: Buffer): EnvelopeMeta & { type: MessageType } {
  const { type, env } = decodeFrame(value);
  return { type, ...env };
}

// ---- typed messages -----------------------------------------------------------------------

export type Message =
  | { type: 'audio.chunk'; env: EnvelopeMeta; meta: AudioChunkMeta; pcm: Int16Array }
  | { type: 'audio.window'; env: EnvelopeMeta; meta: AudioWindowMeta; data: Float32Array }
  | { type: 'video.frame'; env: EnvelopeMeta; meta: VideoFrameMeta; jpeg: Buffer }
  | { type: 'video.tensor'; env: EnvelopeMeta; meta: VideoTensorMeta; data: Float32Array | Uint8Array; jpeg?: Buffer }
  | { type: 'course.raw'; env: EnvelopeMeta; record: Record<string, unknown> }
  | { type: 'course.enriched'; env: EnvelopeMeta; record: Record<string, unknown> }
  | { type: 'prediction'; env: EnvelopeMeta; prediction: Prediction };

export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

/** Encodes a typed message into a bus record: the stream id as key, everything else in the value. */
export function encodeMessage(m: Message): { key: string; value: Buffer } {
  const encodeBinary = (kind: Kind, meta: unknown, payload: Uint8Array) => encodeFrame(m.type, m.env, kind, meta, payload);
  let value: Buffer;
  switch (m.type) {
    case 'audio.chunk':
      value = encodeBinary('pcm16', m.meta, bytesOf(m.pcm));
      break;
    case 'audio.window':
      checkShape(m.meta.shape, m.data.length);
      value = encodeBinary('float32', m.meta, bytesOf(m.data));
      break;
    case 'video.frame':
      value = encodeBinary('jpeg', m.meta, m.jpeg);
      break;
    case 'video.tensor': {
      checkShape(m.meta.shape, m.data.length);
      const rgb8 = m.data instanceof Uint8Array;
      if (rgb8 !== (m.meta.encoding === 'rgb8')) throw new EnvelopeError(`video.tensor: encoding ${m.meta.encoding ?? 'f32'} does not match its ${rgb8 ? 'Uint8' : 'Float32'} data`, 'schema');
      const jpeg = m.jpeg ?? Buffer.alloc(0);
      const data = m.data instanceof Uint8Array ? m.data : bytesOf(m.data);
      const payload = Buffer.concat([data, jpeg]);
      value = encodeBinary(rgb8 ? 'uint8' : 'float32', { ...m.meta, jpegBytes: jpeg.length }, payload);
      break;
    }
    case 'course.raw':
    case 'course.enriched':
      value = encodeBinary('json', {}, Buffer.from(JSON.stringify(m.record), 'utf8'));
      break;
    case 'prediction':
      value = encodeBinary('json', {}, Buffer.from(JSON.stringify(m.prediction), 'utf8'));
      break;
  }
  return { key: m.env.streamId, value };
}

/** Decodes and validates a bus record value; throws EnvelopeError with the reason on bad input. */
export function decodeMessage(value: Buffer): Message {
  const { type, env, kind, meta, payload } = decodeFrame(value);
  const parse = <T>(schema: z.ZodType<T>, v: unknown): T => {
    const r = schema.safeParse(v);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new EnvelopeError(`${type} meta: ${issue.path.join('.') || '(root)'}: ${issue.message}`, 'schema');
    }
    return r.data;
  };
  const expectKind = (k: Kind) => {
    if (kind !== k) throw new EnvelopeError(`${type} expects a ${k} payload, got ${kind}`, 'schema');
  };
  switch (type) {
    case 'audio.chunk':
      expectKind('pcm16');
      return { type: type, env, meta: parse(audioChunkMeta, meta), pcm: int16View(payload) };
    case 'audio.window': {
      expectKind('float32');
      const m = parse(audioWindowMeta, meta);
      const data = float32View(payload);
      checkShape(m.shape, data.length);
      return { type: type, env, meta: m, data };
    }
    case 'video.frame':
      expectKind('jpeg');
      return { type: type, env, meta: parse(videoFrameMeta, meta), jpeg: payload };
    case 'video.tensor': {
      const m = parse(videoTensorMeta, meta);
      expectKind(m.encoding === 'rgb8' ? 'uint8' : 'float32');
      const jpegBytes = m.jpegBytes ?? 0;
      if (jpegBytes > payload.length) throw new EnvelopeError('video.tensor: jpegBytes runs past the payload', 'decode');
      const tensorBytes = payload.subarray(0, payload.length - jpegBytes);
      const data = m.encoding === 'rgb8' ? new Uint8Array(tensorBytes.buffer, tensorBytes.byteOffset, tensorBytes.byteLength) : float32View(tensorBytes);
      checkShape(m.shape, data.length);
      const jpeg = jpegBytes > 0 ? payload.subarray(payload.length - jpegBytes) : undefined;
      return { type: type, env, meta: m, data, jpeg };
    }
    case 'course.raw':
    case 'course.enriched':
    case 'prediction': {
      expectKind('json');
      let body: unknown;
      try {
        body = JSON.parse(payload.toString('utf8'));
      } catch (e) {
        throw new EnvelopeError(`${type} body is not valid JSON (${jsonErrorSummary(e)})`, 'decode');
      }
      if (type === 'prediction') return { type: type, env, prediction: parse(predictionSchema, body) };
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new EnvelopeError(`${type} body must be a JSON object`, 'schema');
      }
      return { type: type, env, record: body as Record<string, unknown> };
    }
  }
}

function checkShape(shape: number[], length: number): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== length) throw new EnvelopeError(`tensor shape [${shape.join(', ')}] needs ${n} values, payload has ${length}`, 'schema');
}
