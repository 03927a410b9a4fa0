import { describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import { decodeMessage, type MessageOf } from '../../src/bus/envelope.js';
import { TOPICS } from '../../src/bus/topics.js';
import { LivePcmSource } from '../../src/ingest/live-pcm-source.js';
import { AUDIO_FEATURES_GROUP, publishAudioSource, publishPcmPushStream } from '../../src/ingest/publish-audio.js';
import type { AudioChunk, AudioSource } from '../../src/ingest/audio-chunk.js';

function arraySource(n: number, realtime: boolean): AudioSource {
  return {
    kind: realtime ? 'live' : 'file',
    realtime,
    description: 'test',
    close: async () => undefined,
    async *[Symbol.asyncIterator](): AsyncIterator<AudioChunk> {
      for (let i = 0; i < n; i++) yield { pcm: new Int16Array(1600).fill(i), startSec: i * 0.1, seq: i, capturedAt: 1000 + i };
    },
  };
}

async function drain(bus: EmbeddedBus, groupId: string, into: MessageOf<'audio.chunk'>[], delayMs = 0) {
  const c = bus.consumer({ groupId, topics: [TOPICS.audioChunks], maxBatchSize: 2 });
  await c.run(async (b) => {
    for (const m of b.messages) into.push(decodeMessage(m.value) as MessageOf<'audio.chunk'>);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
  });
  return c;
}

describe('publishAudioSource', () => {
  it('a file source waits for a slow consumer (backpressure) and flags its last chunk final', async () => {
    const bus = new EmbeddedBus({ defaultPartitions: 1 });
    const got: MessageOf<'audio.chunk'>[] = [];
    const consumer = await drain(bus, AUDIO_FEATURES_GROUP, got, 20);
    const r = await publishAudioSource(bus, 's1', arraySource(30, false), { maxLag: 4, lagPollMs: 5 });
    expect(r.chunks).toBe(30);
    expect(r.dropped).toBe(0);
    expect(r.waitedMs).toBeGreaterThan(0);
    await new Promise((res) => setTimeout(res, 300));
    await consumer.stop();
    expect(got.map((m) => m.env.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(got.filter((m) => m.meta.final).map((m) => m.env.seq)).toEqual([29]);
    expect(got[5].env.capturedAt).toBe(1005);
    expect(got[5].meta).toMatchObject({ sampleRate: 16000, channels: 1, startSec: 0.5 });
  });

  it('a live source never waits: chunks are dropped while the consumer lags, then an empty final chunk ends the stream', async () => {
    const bus = new EmbeddedBus({ defaultPartitions: 1 });
    // No consumer at all: the lag only grows.
    const r = await publishAudioSource(bus, 'live', arraySource(20, true), { maxLag: 5, lagPollMs: 0 });
    expect(r.dropped).toBeGreaterThan(0);
    expect(r.chunks + r.dropped).toBe(21);
    const got: MessageOf<'audio.chunk'>[] = [];
    const c = await drain(bus, 'reader', got);
    await new Promise((res) => setTimeout(res, 100));
    await c.stop();
    const last = got.at(-1)!;
    expect(last.meta.final).toBe(true);
    expect(last.pcm.length).toBe(0);
    expect(last.env.seq).toBe(20);
  });

  it('browser PCM pushes take the same path (live source, chunked, final marker)', async () => {
    const bus = new EmbeddedBus({ defaultPartitions: 1 });
    const stream = publishPcmPushStream(bus, 'browser-1', { maxLag: Infinity });
    expect(stream.source).toBeInstanceOf(LivePcmSource);
    const samples = new Int16Array(4000).map((_, i) => i);
    stream.push(Buffer.from(samples.buffer, 0, 3001)); // odd byte split
    stream.push(Buffer.from(samples.buffer, 3001));
    stream.end();
    const r = await stream.done;
    expect(r.chunks).toBe(4); // 1600 + 1600 + 800 + empty final
    const got: MessageOf<'audio.chunk'>[] = [];
    const c = await drain(bus, 'reader', got);
    await new Promise((res) => setTimeout(res, 100));
    await c.stop();
    expect(got.map((m) => m.pcm.length)).toEqual([1600, 1600, 800, 0]);
    expect(Array.from(got[2].pcm.slice(0, 3))).toEqual([3200, 3201, 3202]);
  });
});
