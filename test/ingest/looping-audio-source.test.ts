import { describe, expect, it } from 'vitest';
import type { AudioChunk, AudioSource } from '../../src/ingest/audio-chunk.js';
import { loopAudioSource } from '../../src/ingest/looping-audio-source.js';

/** A file-like source of `n` 100 ms chunks, seq and startSec from 0 like a fresh ffmpeg decode. */
function fakeSource(n: number, opened: { count: number }): AudioSource {
  opened.count++;
  return {
    kind: 'file',
    realtime: false,
    description: 'fake clip',
    async close() {},
    async *[Symbol.asyncIterator](): AsyncIterator<AudioChunk> {
      for (let i = 0; i < n; i++) yield { pcm: new Int16Array(1600).fill(i), seq: i, startSec: i * 0.1, capturedAt: Date.now() };
    },
  };
}

describe('loopAudioSource', () => {
  it('replays a source as one continuous stream: seq and time continue across passes', async () => {
    const opened = { count: 0 };
    const looped = loopAudioSource(() => fakeSource(3, opened));
    const got: AudioChunk[] = [];
    for await (const c of looped) {
      got.push(c);
      if (got.length === 8) await looped.close();
    }
    expect(got.map((c) => c.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(got.map((c) => Math.round(c.startSec * 10) / 10)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    expect(got.map((c) => c.pcm[0])).toEqual([0, 1, 2, 0, 1, 2, 0, 1]);
    expect(opened.count).toBe(3);
  });

  it('ends instead of spinning when a pass yields nothing', async () => {
    const opened = { count: 0 };
    const got: AudioChunk[] = [];
    for await (const c of loopAudioSource(() => fakeSource(0, opened))) got.push(c);
    expect(got).toEqual([]);
    expect(opened.count).toBe(1);
  });
});
