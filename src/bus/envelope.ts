import { z } from 'zod';

/**
 * Typed, versioned envelopes. Every message carries, in headers: `v` (schema version), `type`,
 * `streamId`, `seq`, `capturedAt` (epoch ms, set once at ingest and carried through) and
 * optionally `stageTimes` (JSON object of per-stage milliseconds, appended per stage).
 *
 * Values: binary payloads (PCM, tensors, JPEG) are a small binary header plus raw bytes:
 *   magic "SL" | u8 version | u8 kind | u32le metaLength | meta (UTF-8 JSON, small) | payload bytes
 * JSON is used only for course records and predictions.
 */
export const ENVELOPE_VERSION = 1;
const MAGIC0 = 0x53; // 'S'
const MAGIC1 = 0x4c; // 'L'
const HEADER_BYTES = 8;

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
const KIND = { pcm16: 1, float32: 2, jpeg: 3, json: 4 } as const;
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
  featureKey: z.string().optional(),
  /** The JPEG the tensor was made from travels along, so the dashboard can show it. */
  jpegBytes: z.number().int().nonnegative().optional(),
});
export type VideoTensorMeta = z.infer<typeof videoTensorMeta>;

export const predictionSchema = z.object({
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

export function encodeBinary(kind: Kind, meta: unknown, payload: Uint8Array): Buffer {
  const metaBytes = Buffer.from(JSON.stringify(meta ?? {}), 'utf8');
  const out = Buffer.allocUnsafe(HEADER_BYTES + metaBytes.length + payload.byteLength);
  out[0] = MAGIC0;
  out[1] = MAGIC1;
  out[2] = ENVELOPE_VERSION;
  out[3] = KIND[kind];
  out.writeUInt32LE(metaBytes.length, 4);
  metaBytes.copy(out, HEADER_BYTES);
  out.set(payload, HEADER_BYTES + metaBytes.length);
  return out;
}

export function decodeBinary(value: Buffer): { kind: Kind; meta: unknown; payload: Buffer } {
  if (value.length < HEADER_BYTES || value[0] !== MAGIC0 || value[1] !== MAGIC1) {
    throw new EnvelopeError('value is not a streamlens binary envelope (bad magic)', 'decode');
  }
  if (value[2] !== ENVELOPE_VERSION) {
    throw new EnvelopeError(`unknown envelope version ${value[2]} (this build reads ${ENVELOPE_VERSION})`, 'version');
  }
  const kind = KIND_BY_CODE.get(value[3]);
  if (!kind) throw new EnvelopeError(`unknown payload kind ${value[3]}`, 'decode');
  const metaLength = value.readUInt32LE(4);
  if (HEADER_BYTES + metaLength > value.length) throw new EnvelopeError('truncated envelope: meta runs past the end', 'decode');
  let meta: unknown;
  try {
    meta = JSON.parse(value.subarray(HEADER_BYTES, HEADER_BYTES + metaLength).toString('utf8'));
  } catch (e) {
    throw new EnvelopeError(`envelope meta is not valid JSON: ${(e as Error).message}`, 'decode');
  }
  return { kind, meta, payload: value.subarray(HEADER_BYTES + metaLength) };
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

// ---- headers ------------------------------------------------------------------------------

export function envelopeHeaders(type: MessageType, meta: EnvelopeMeta): Record<string, string> {
  const h: Record<string, string> = {
    v: String(ENVELOPE_VERSION),
    type,
    streamId: meta.streamId,
    seq: String(meta.seq),
    capturedAt: String(meta.capturedAt),
  };
  if (meta.stageTimes) h.stageTimes = JSON.stringify(meta.stageTimes);
  return h;
}

export function readEnvelopeHeaders(headers: Record<string, string>): EnvelopeMeta & { type: MessageType } {
  if (headers.v === undefined) throw new EnvelopeError('missing header "v" (schema version)', 'schema');
  if (Number(headers.v) !== ENVELOPE_VERSION) {
    throw new EnvelopeError(`unknown schema version ${headers.v} (this build reads ${ENVELOPE_VERSION})`, 'version');
  }
  const type = headers.type as MessageType;
  if (!MESSAGE_TYPES.includes(type)) throw new EnvelopeError(`unknown message type "${headers.type}"`, 'unknown-type');
  const streamId = headers.streamId;
  if (!streamId) throw new EnvelopeError('missing header "streamId"', 'schema');
  const seq = Number(headers.seq);
  const capturedAt = Number(headers.capturedAt);
  if (!Number.isInteger(seq) || seq < 0) throw new EnvelopeError(`bad header "seq": ${headers.seq}`, 'schema');
  if (!Number.isFinite(capturedAt)) throw new EnvelopeError(`bad header "capturedAt": ${headers.capturedAt}`, 'schema');
  let stageTimes: Record<string, number> | undefined;
  if (headers.stageTimes) {
    try {
      stageTimes = JSON.parse(headers.stageTimes);
    } catch {
      throw new EnvelopeError('header "stageTimes" is not JSON', 'schema');
    }
  }
  return { type, streamId, seq, capturedAt, stageTimes };
}

// ---- typed messages -----------------------------------------------------------------------

export type Message =
  | { type: 'audio.chunk'; env: EnvelopeMeta; meta: AudioChunkMeta; pcm: Int16Array }
  | { type: 'audio.window'; env: EnvelopeMeta; meta: AudioWindowMeta; data: Float32Array }
  | { type: 'video.frame'; env: EnvelopeMeta; meta: VideoFrameMeta; jpeg: Buffer }
  | { type: 'video.tensor'; env: EnvelopeMeta; meta: VideoTensorMeta; data: Float32Array; jpeg?: Buffer }
  | { type: 'course.raw'; env: EnvelopeMeta; record: Record<string, unknown> }
  | { type: 'course.enriched'; env: EnvelopeMeta; record: Record<string, unknown> }
  | { type: 'prediction'; env: EnvelopeMeta; prediction: Prediction };

export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

/** Encodes a typed message into bus value + headers. */
export function encodeMessage(m: Message): { key: string; value: Buffer; headers: Record<string, string> } {
  const headers = envelopeHeaders(m.type, m.env);
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
      const jpeg = m.jpeg ?? Buffer.alloc(0);
      const payload = Buffer.concat([Buffer.from(bytesOf(m.data)), jpeg]);
      value = encodeBinary('float32', { ...m.meta, jpegBytes: jpeg.length }, payload);
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
  return { key: m.env.streamId, value, headers };
}

/** Decodes and validates a bus message; throws EnvelopeError with the reason on bad input. */
export function decodeMessage(headers: Record<string, string>, value: Buffer): Message {
  const env = readEnvelopeHeaders(headers);
  const { kind, meta, payload } = decodeBinary(value);
  const parse = <T>(schema: z.ZodType<T>, v: unknown): T => {
    const r = schema.safeParse(v);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new EnvelopeError(`${env.type} meta: ${issue.path.join('.') || '(root)'}: ${issue.message}`, 'schema');
    }
    return r.data;
  };
  const expectKind = (k: Kind) => {
    if (kind !== k) throw new EnvelopeError(`${env.type} expects a ${k} payload, got ${kind}`, 'schema');
  };
  switch (env.type) {
    case 'audio.chunk':
      expectKind('pcm16');
      return { type: env.type, env, meta: parse(audioChunkMeta, meta), pcm: int16View(payload) };
    case 'audio.window': {
      expectKind('float32');
      const m = parse(audioWindowMeta, meta);
      const data = float32View(payload);
      checkShape(m.shape, data.length);
      return { type: env.type, env, meta: m, data };
    }
    case 'video.frame':
      expectKind('jpeg');
      return { type: env.type, env, meta: parse(videoFrameMeta, meta), jpeg: payload };
    case 'video.tensor': {
      expectKind('float32');
      const m = parse(videoTensorMeta, meta);
      const jpegBytes = m.jpegBytes ?? 0;
      if (jpegBytes > payload.length) throw new EnvelopeError('video.tensor: jpegBytes runs past the payload', 'decode');
      const tensorBytes = payload.subarray(0, payload.length - jpegBytes);
      const data = float32View(tensorBytes);
      checkShape(m.shape, data.length);
      const jpeg = jpegBytes > 0 ? payload.subarray(payload.length - jpegBytes) : undefined;
      return { type: env.type, env, meta: m, data, jpeg };
    }
    case 'course.raw':
    case 'course.enriched':
    case 'prediction': {
      expectKind('json');
      let body: unknown;
      try {
        body = JSON.parse(payload.toString('utf8'));
      } catch (e) {
        throw new EnvelopeError(`${env.type} body is not valid JSON: ${(e as Error).message}`, 'decode');
      }
      if (env.type === 'prediction') return { type: env.type, env, prediction: parse(predictionSchema, body) };
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new EnvelopeError(`${env.type} body must be a JSON object`, 'schema');
      }
      return { type: env.type, env, record: body as Record<string, unknown> };
    }
  }
}

function checkShape(shape: number[], length: number): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== length) throw new EnvelopeError(`tensor shape [${shape.join(', ')}] needs ${n} values, payload has ${length}`, 'schema');
}
