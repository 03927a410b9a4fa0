import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile, ffmpegDecodeArgs, openAudioFileSource } from '../../src/ingest/audio-file-source.js';
import { chooseRecorder, findExecutable } from '../../src/ingest/microphone-source.js';
import { LivePcmSource } from '../../src/ingest/live-pcm-source.js';
import { PcmChunker } from '../../src/ingest/pcm-chunker.js';
import { generateAudio, ravdessClips, tempDir, zeroCrossingsPerSecond } from './helpers.js';

const dir = tempDir('ingest-');

describe('ffmpeg file source', () => {
  it('decodes a real RAVDESS clip into 100 ms chunks with running seq and startSec', async () => {
    const [file] = ravdessClips([3], 1);
    const chunks = [];
    for await (const c of openAudioFileSource(file)) chunks.push(c);
    const samples = chunks.reduce((a, c) => a + c.pcm.length, 0);
    // The shared files are 16 kHz mono 16-bit WAV: every data byte comes back as a sample.
    expect(samples).toBe((statSync(file).size - 44) / 2);
    chunks.forEach((c, i) => {
      expect(c.seq).toBe(i);
      expect(c.startSec).toBeCloseTo(i * 0.1, 9);
      if (i < chunks.length - 1) expect(c.pcm.length).toBe(1600);
    });
    expect(chunks.at(-1)!.pcm.length).toBeGreaterThan(0);
    expect(chunks.at(-1)!.pcm.length).toBeLessThanOrEqual(1600);
  });

  it.each([
    [8000, 1],
    [44100, 2],
    [48000, 2],
  ])('resamples %i Hz x%i channels to 16 kHz mono, keeping the pitch', async (rate, channels) => {
    const f = generateAudio(join(dir, `tone-${rate}-${channels}.wav`), `sine=frequency=440:sample_rate=${rate}:duration=2`, ['-ac', String(channels)]);
    const pcm = await decodeAudioFile(f);
    expect(Math.abs(pcm.length - 32000)).toBeLessThan(200);
    expect(zeroCrossingsPerSecond(pcm)).toBeGreaterThan(870);
    expect(zeroCrossingsPerSecond(pcm)).toBeLessThan(890);
  });

  it('decodes a clipping (over-driven) signal to saturated samples without error', async () => {
    const f = generateAudio(join(dir, 'clipped.wav'), 'sine=frequency=200:sample_rate=16000:duration=1', ['-af', 'volume=20dB']);
    const pcm = await decodeAudioFile(f);
    let max = 0;
    for (const v of pcm) max = Math.max(max, Math.abs(v));
    expect(max).toBeGreaterThanOrEqual(32767);
  });

  it('decodes a truncated WAV up to where its data stops', async () => {
    const [file] = ravdessClips([3], 1);
    const bytes = readFileSync(file);
    const cut = join(dir, 'truncated.wav');
    writeFileSync(cut, bytes.subarray(0, 44 + 2 * 10000));
    const pcm = await decodeAudioFile(cut);
    expect(pcm.length).toBe(10000);
  });

  it('fails with ffmpeg\'s message for a corrupt WAV and a non-audio file', async () => {
    const bad = join(dir, 'corrupt.wav');
    writeFileSync(bad, Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(5000, 0x5a)]));
    await expect(decodeAudioFile(bad)).rejects.toThrow(/ffmpeg could not decode .*corrupt\.wav.*Invalid data/s);
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'this is not audio\n'.repeat(100));
    await expect(decodeAudioFile(text)).rejects.toThrow(/ffmpeg could not decode .*notes\.txt/);
    const video = generateAudio(join(dir, 'silent-video.mp4'), 'color=c=red:s=32x32:d=1', ['-pix_fmt', 'yuv420p']);
    await expect(decodeAudioFile(video)).rejects.toThrow(/silent-video\.mp4/);
    expect(() => openAudioFileSource(join(dir, 'missing.wav'))).toThrow(/audio file not found/);
  });

  describe('network inputs', () => {
    let server: Server;
    let port = 0;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      // Accepts connections and never answers.
      server = createServer((s) => sockets.push(s));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => {
      for (const s of sockets) s.destroy();
      server.close();
    });

    it('passes read/write timeouts to ffmpeg for URLs only', () => {
      expect(ffmpegDecodeArgs('http://x/a.wav', 2000)).toEqual(expect.arrayContaining(['-rw_timeout', '2000000', '-timeout', '2000000']));
      expect(ffmpegDecodeArgs('/tmp/a.wav')).not.toContain('-rw_timeout');
    });

    it('fails clearly when a URL never answers (ffmpeg socket timeout)', async () => {
      await expect(decodeAudioFile(`http://127.0.0.1:${port}/never.wav`, { networkTimeoutMs: 1000 })).rejects.toThrow(/never\.wav.*(timed out|Connection)/s);
    });

    it('gives up on a source that stalls, via its own watchdog', async () => {
      await expect(
        decodeAudioFile(`http://127.0.0.1:${port}/stall.wav`, { networkTimeoutMs: 60000, stallTimeoutMs: 800 }),
      ).rejects.toThrow(/no audio .* for 800 ms/);
    });
  });

  it('streams a 12-minute file in bounded memory; a reader that stops early stops ffmpeg', async () => {
    const long = generateAudio(join(dir, 'long.wav'), 'sine=frequency=300:sample_rate=16000:duration=720');
    const decodedBytes = 720 * 16000 * 2;
    // Stopping after the first chunk stops ffmpeg (nothing else is decoded or held).
    const first = openAudioFileSource(long);
    for await (const c of first) {
      expect(c.seq).toBe(0);
      break;
    }
    // A separate process with --expose-gc measures what stays alive while all of it streams through.
    const probe = join(import.meta.dirname, 'fixtures', 'stream-memory-probe.ts');
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', probe, long], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(r.chunks).toBe(7200);
    expect(r.samples * 2).toBe(decodedBytes);
    // 23 MB of PCM went through; only pipe buffers and a chunk or two may be alive at once.
    expect(r.peakArrayBufferBytes).toBeLessThan(4 * 1024 * 1024);
  });

  it('paces chunks in real time when asked', async () => {
    const f = generateAudio(join(dir, 'short.wav'), 'sine=frequency=300:sample_rate=16000:duration=0.5');
    const times: number[] = [];
    for await (const c of openAudioFileSource(f, { realtime: true })) times.push(c.capturedAt);
    expect(times).toHaveLength(5);
    // The 5th chunk is due 500 ms after the start: paced, not released at once.
    expect(times[4] - times[0]).toBeGreaterThanOrEqual(350);
  });
});

describe('PCM chunking and live sources', () => {
  it('cuts odd-sized byte pieces into exact chunks', () => {
    const samples = Int16Array.from({ length: 5000 }, (_, i) => (i * 37) % 65536 - 32768);
    const bytes = new Uint8Array(samples.buffer);
    const chunker = new PcmChunker(1600);
    const chunks = [];
    for (let i = 0; i < bytes.length; i += 333) chunks.push(...chunker.pushBytes(bytes.subarray(i, Math.min(bytes.length, i + 333))));
    chunks.push(chunker.flush()!);
    expect(chunks.map((c) => c.pcm.length)).toEqual([1600, 1600, 1600, 200]);
    expect(Int16Array.from(chunks.flatMap((c) => [...c.pcm]))).toEqual(samples);
    expect(chunks[3].startSec).toBeCloseTo(0.3, 9);
  });

  it('a live source drops the oldest chunks when its reader falls behind, never blocking the producer', async () => {
    const live = new LivePcmSource({ maxQueuedChunks: 3 });
    for (let i = 0; i < 10; i++) live.push(new Int16Array(1600).fill(i));
    live.end();
    const got = [];
    for await (const c of live) got.push(c.seq);
    expect(got).toEqual([7, 8, 9]);
    expect(live.dropped).toBe(7);
  });

  it('microphone capture names the package to install when no recorder exists', () => {
    const saved = process.env.PATH;
    process.env.PATH = dir;
    try {
      expect(findExecutable('sox')).toBeNull();
      expect(() => chooseRecorder()).toThrow(/apt-get install sox.*alsa-utils/s);
      expect(() => chooseRecorder('arecord')).toThrow(/apt-get install alsa-utils/);
    } finally {
      process.env.PATH = saved;
    }
  });
});
