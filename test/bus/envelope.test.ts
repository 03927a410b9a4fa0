import { describe, expect, it } from 'vitest';
import { ENVELOPE_VERSION, EnvelopeError, MAX_STREAM_ID_BYTES, type Message, decodeMessage, encodeMessage, readEnvelope } from '../../src/bus/envelope.js';

const env = (seq = 7) => ({ streamId: 'mic-ü-1', seq, capturedAt: 1_790_000_000_123.5 });

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EnvelopeError);
    return (e as EnvelopeError).reason;
  }
  throw new Error('expected an EnvelopeError');
}

describe('envelope (everything in the record value, no bus headers)', () => {
  const pcm = Int16Array.from({ length: 1600 }, (_, i) => (i * 37) % 30000 - 15000);
  const messages: Message[] = [
    { type: 'audio.chunk', env: env(), meta: { sampleRate: 16000, channels: 1, startSec: 0.7, final: true }, pcm },
    { type: 'audio.window', env: { ...env(), stageTimes: { 'features:audio': 1.25 } }, meta: { shape: [2, 3], startSec: 0, endSec: 3, speech: true, featureKey: 'k' }, data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) },
    { type: 'video.frame', env: env(0), meta: { width: 4, height: 2, ptsSec: 0.2 }, jpeg: Buffer.from([0xff, 0xd8, 1, 2, 0xff, 0xd9]) },
    { type: 'video.tensor', env: env(), meta: { shape: [1, 2], featureKey: 'f' }, data: Float32Array.from([0.5, 0.25]), jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xd9]) },
    { type: 'course.raw', env: env(), record: { course_id: 1, course_title: 'Ünïcode ✓' } },
    {
      type: 'prediction',
      env: env(),
      prediction: { streamId: 'mic-ü-1', kind: 'audio', seq: 7, label: 'calm', scores: { calm: 0.9, sad: 0.1 }, model: { name: 'emotion', version: '3' }, latencyMs: { total: 3 } },
    },
  ];

  it('round-trips every message type with its stream id, seq, capture time and stage times', () => {
    for (const m of messages) {
      const rec = encodeMessage(m);
      expect(rec).not.toHaveProperty('headers');
      expect(rec.key).toBe(m.env.streamId);
      const back = decodeMessage(rec.value);
      expect(back.type).toBe(m.type);
      expect(back.env).toEqual(m.env);
      expect(readEnvelope(rec.value)).toEqual({ type: m.type, ...m.env });
      if (m.type === 'audio.chunk' && back.type === 'audio.chunk') expect([...back.pcm]).toEqual([...m.pcm]);
      if (m.type === 'audio.window' && back.type === 'audio.window') expect([...back.data]).toEqual([...m.data]);
      if (m.type === 'video.tensor' && back.type === 'video.tensor') {
        expect([...back.data]).toEqual([...m.data]);
        expect(back.jpeg).toEqual(m.jpeg);
      }
      if (m.type === 'course.raw' && back.type === 'course.raw') expect(back.record).toEqual(m.record);
    }
  });

  it('carries binary payloads as raw bytes (a 1600-sample chunk is 3200 bytes plus a small header)', () => {
    const v = encodeMessage(messages[0]).value;
    expect(v.length - 3200).toBeLessThan(150);
  });

  it('rejects bad values with the reason the dead-letter topic records', () => {
    const good = encodeMessage(messages[4]).value;
    expect(reasonOf(() => decodeMessage(Buffer.from('{"not":"an envelope"}')))).toBe('decode');
    expect(reasonOf(() => decodeMessage(Buffer.alloc(0)))).toBe('decode');
    for (const cut of [5, 20, 40, good.length - 3]) expect(reasonOf(() => decodeMessage(good.subarray(0, cut)))).toBe('decode');
    const future = Buffer.from(good);
    future[2] = ENVELOPE_VERSION + 1;
    expect(reasonOf(() => decodeMessage(future))).toBe('version');
    const unknownType = Buffer.from(good);
    unknownType[4] = 200;
    expect(reasonOf(() => decodeMessage(unknownType))).toBe('unknown-type');
    const badSeq = Buffer.from(good);
    badSeq.writeDoubleLE(-1, 8);
    expect(reasonOf(() => decodeMessage(badSeq))).toBe('schema');
    const badTime = Buffer.from(good);
    badTime.writeDoubleLE(Number.NaN, 16);
    expect(reasonOf(() => decodeMessage(badTime))).toBe('schema');
    const wrongKind = Buffer.from(good);
    wrongKind[3] = 1; // pcm16 payload kind under a course.raw type
    expect(reasonOf(() => decodeMessage(wrongKind))).toBe('schema');
  });

  it('carries the stream route (model, pinned version, companions) through encode and decode', () => {
    const route = { model: 'emotion', version: '4', companions: ['gender'] };
    for (const m of messages) {
      const withRoute = { ...m, env: { ...m.env, route } } as Message;
      const back = decodeMessage(encodeMessage(withRoute).value);
      expect(back.env.route).toEqual(route);
      expect(readEnvelope(encodeMessage(withRoute).value).route).toEqual(route);
    }
    // Without a route the envelope has none (and costs no route bytes).
    expect(decodeMessage(encodeMessage(messages[4]).value).env.route).toBeUndefined();
    const bad = { ...messages[4], env: { ...messages[4].env, route: { model: '', version: 'x' } } } as Message;
    expect(reasonOf(() => encodeMessage(bad))).toBe('schema');
  });

  it('still reads version-2 envelopes (no route) so a rolling upgrade dead-letters nothing', () => {
    // A v2 value is the v3 layout without the u32 route length at offset 32.
    const v3 = encodeMessage(messages[4]).value;
    expect(v3.readUInt32LE(32)).toBe(0);
    const v2 = Buffer.concat([v3.subarray(0, 32), v3.subarray(36)]);
    v2[2] = 2;
    const back = decodeMessage(v2);
    expect(back.type).toBe('course.raw');
    expect(back.env).toEqual(messages[4].env);
    if (back.type === 'course.raw') expect(back.record).toEqual({ course_id: 1, course_title: 'Ünïcode ✓' });
    const v1 = Buffer.from(v2);
    v1[2] = 1;
    expect(reasonOf(() => decodeMessage(v1))).toBe('version');
  });

  it('refuses to encode an envelope without a usable stream id or seq', () => {
    const m = messages[4];
    expect(reasonOf(() => encodeMessage({ ...m, env: { ...m.env, streamId: '' } }))).toBe('schema');
    expect(reasonOf(() => encodeMessage({ ...m, env: { ...m.env, streamId: 'x'.repeat(MAX_STREAM_ID_BYTES + 1) } }))).toBe('schema');
    expect(reasonOf(() => encodeMessage({ ...m, env: { ...m.env, seq: 1.5 } }))).toBe('schema');
  });
});
