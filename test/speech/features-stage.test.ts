import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import { decodeMessage, encodeMessage, type MessageOf } from '../../src/bus/envelope.js';
import { StageRunner } from '../../src/bus/stage-runner.js';
import { TOPICS, deadLetterTopic } from '../../src/bus/topics.js';
import { extractFile, parseAudioFeatureSettings } from '../../src/features/audio/index.js';
import { audioFeaturesStage } from '../../src/features/audio/stage.js';
import { decodeAudioFile, openAudioFileSource } from '../../src/ingest/audio-file-source.js';
import { audioChunkMessage, publishAudioSource } from '../../src/ingest/publish-audio.js';
import { createRng } from '../../src/training/seeding.js';
import { SPEECH_FEATURE_SETTINGS } from '../../src/training/speech/settings.js';
import { waitFor } from '../helpers/wait.js';
import { generateAudio, ravdessClips, tempDir } from './helpers.js';

const settings = parseAudioFeatureSettings(SPEECH_FEATURE_SETTINGS);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pipeline() {
  const bus = new EmbeddedBus();
  const stage = audioFeaturesStage({ settings });
  const runner = new StageRunner(bus, stage);
  await runner.start();
  const windows: MessageOf<'audio.window'>[] = [];
  const dlq: string[] = [];
  const consumer = bus.consumer({ groupId: 'test-windows', topics: [TOPICS.audioWindows, deadLetterTopic(TOPICS.audioChunks)] });
  await consumer.run(async (batch) => {
    for (const m of batch.messages) {
      if (m.topic === TOPICS.audioWindows) windows.push(decodeMessage(m.value) as MessageOf<'audio.window'>);
      else dlq.push(m.headers['dlq.reason']);
    }
  });
  cleanups.push(async () => {
    await consumer.stop();
    await runner.stop();
    await bus.close();
  });
  return { bus, stage, windows, dlq, producer: bus.producer() };
}

describe('audio features stage', () => {
  it('turns random-sized chunks of a real clip, with a redelivered duplicate, into exactly the batch windows', async () => {
    const [file] = ravdessClips([5], 1);
    const pcm = await decodeAudioFile(file);
    const expected = extractFile(pcm, settings);
    const { stage, windows, producer } = await pipeline();
    const rng = createRng(7);
    const messages: MessageOf<'audio.chunk'>[] = [];
    for (let off = 0, seq = 0; off < pcm.length; seq++) {
      const n = Math.min(pcm.length - off, 1 + Math.floor(rng() * 4000));
      const final = off + n >= pcm.length;
      messages.push(audioChunkMessage('clip-a', { pcm: pcm.slice(off, off + n), startSec: off / 16000, seq, capturedAt: Date.now() }, final));
      off += n;
    }
    // Redelivery: chunk 3 arrives again after chunk 5.
    const sendOrder = [...messages.slice(0, 6), messages[3], ...messages.slice(6)];
    for (const m of sendOrder) await producer.send(TOPICS.audioChunks, [encodeMessage(m)]);
    await waitFor(() => windows.length >= expected.length && stage.stats().activeStreams === 0, 'all windows');
    expect(windows).toHaveLength(expected.length);
    windows.forEach((w, i) => {
      expect(w.env.streamId).toBe('clip-a');
      expect(w.env.seq).toBe(i);
      expect(w.meta.shape).toEqual([100, 40]);
      expect(w.meta.startSec).toBeCloseTo(expected[i].startSec, 6);
      expect(w.meta.endSec).toBeCloseTo(expected[i].endSec, 6);
      expect(w.meta.speech).toBe(expected[i].speech);
      expect(Array.from(w.data)).toEqual(Array.from(expected[i].features));
    });
    expect(stage.stats()).toMatchObject({ duplicates: 1, gaps: 0, activeStreams: 0 });
  });

  it('restarts a stream at a gap instead of mixing audio across it, and dead-letters a wrong sample rate', async () => {
    const { stage, windows, dlq, producer } = await pipeline();
    const tone = new Int16Array(16000 * 3).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / 16000)));
    const chunk = (seq: number, final = false) =>
      encodeMessage(audioChunkMessage('gappy', { pcm: tone.subarray(seq * 1600, (seq + 1) * 1600), startSec: seq * 0.1, seq, capturedAt: Date.now() }, final));
    for (let s = 0; s < 5; s++) await producer.send(TOPICS.audioChunks, [chunk(s)]);
    for (let s = 8; s < 30; s++) await producer.send(TOPICS.audioChunks, [chunk(s, s === 29)]);
    const bad = audioChunkMessage('other', { pcm: new Int16Array(800), startSec: 0, seq: 0, capturedAt: Date.now() }, false);
    bad.meta.sampleRate = 8000;
    await producer.send(TOPICS.audioChunks, [encodeMessage(bad)]);
    await waitFor(() => stage.stats().activeStreams === 0 && dlq.length === 1, 'stream end and DLQ');
    expect(stage.stats().gaps).toBe(1);
    expect(dlq).toEqual(['sample-rate']);
    // Only audio after the gap (seq 8.., 2.2 s) forms windows: the first one starts at 0.8 s.
    expect(windows.length).toBeGreaterThan(0);
    expect(windows[0].meta.startSec).toBeCloseTo(0.8, 6);
  });

  it('evicts streams that go idle', async () => {
    let now = 0;
    const stage = audioFeaturesStage({ settings, idleEvictMs: 1000, now: () => now });
    const msg = audioChunkMessage('idle', { pcm: new Int16Array(1600), startSec: 0, seq: 0, capturedAt: 0 }, false);
    await stage.process([{ message: msg, source: undefined as never }]);
    expect(stage.stats().activeStreams).toBe(1);
    now = 5000;
    const other = audioChunkMessage('busy', { pcm: new Int16Array(1600), startSec: 0, seq: 0, capturedAt: 0 }, false);
    await stage.process([{ message: other, source: undefined as never }]);
    expect(stage.stats()).toMatchObject({ activeStreams: 1, evicted: 1 });
  });

  it('marks every window of pure digital silence as non-speech (end to end through ingest and the bus)', async () => {
    const silent = generateAudio(join(tempDir(), 'silence.wav'), 'anullsrc=r=44100:cl=stereo', ['-t', '4']);
    const { stage, windows, bus } = await pipeline();
    const r = await publishAudioSource(bus, 'silence', openAudioFileSource(silent));
    expect(r.chunks).toBe(40);
    await waitFor(() => stage.stats().activeStreams === 0 && windows.length > 0, 'silence windows');
    expect(windows.length).toBe(5);
    expect(windows.every((w) => w.meta.speech === false)).toBe(true);
  });
});
