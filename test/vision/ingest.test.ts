import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import { decodeMessage } from '../../src/bus/envelope.js';
import { TOPICS } from '../../src/bus/topics.js';
import { registry } from '../../src/core/metrics.js';
import type { CapturedFrame, FrameSource } from '../../src/ingest/frame.js';
import { openImageSource } from '../../src/ingest/image-source.js';
import { JpegSplitter } from '../../src/ingest/jpeg-splitter.js';
import { createReceivedFramePublisher, publishVideoSource } from '../../src/ingest/publish.js';
import { ffmpegArgs, openVideoSource, parseVideoInput, VideoSourceError } from '../../src/ingest/video-source.js';
import { animalPhoto } from './helpers.js';

async function droppedTotal(): Promise<number> {
  const m = await registry.getSingleMetric('streamlens_dropped_total')?.get();
  return (m?.values ?? []).filter((v) => v.labels.where === 'ingest:video').reduce((a, v) => a + v.value, 0);
}

async function collect(source: FrameSource, max = Infinity): Promise<CapturedFrame[]> {
  const out: CapturedFrame[] = [];
  for await (const f of source) {
    out.push(f);
    if (out.length >= max) break;
  }
  return out;
}

describe('JPEG stream splitting', () => {
  it('splits concatenated JPEGs fed in odd-sized pieces, even with an EXIF thumbnail holding FF D9', async () => {
    const a = readFileSync(animalPhoto('cat', 0));
    const b = await sharp(readFileSync(animalPhoto('dog', 0))).resize(64).jpeg().toBuffer();
    // A JPEG whose APP1 segment contains the bytes FF D8 ... FF D9 (like an EXIF thumbnail).
    const fake = Buffer.concat([Buffer.from([0xff, 0xe1, 0x00, 0x08]), Buffer.from([0xff, 0xd8, 0x00, 0xff, 0xd9, 0x00])]);
    const c = Buffer.concat([b.subarray(0, 2), fake, b.subarray(2)]);
    const stream = Buffer.concat([Buffer.from('junk'), a, b, c]);
    const s = new JpegSplitter();
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 777) frames.push(...s.push(stream.subarray(i, i + 777)));
    expect(frames.map((f) => f.length)).toEqual([a.length, b.length, c.length]);
    expect(frames[2].equals(c)).toBe(true);
    expect(s.skippedBytes).toBe(4);
    expect((await sharp(frames[2]).metadata()).width).toBe(64);
  });
});

describe('video and image sources', () => {
  let dir: string;
  let video: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'streamlens-ingest-'));
    writeFileSync(join(dir, 'a.jpg'), readFileSync(animalPhoto('cat', 1)));
    await sharp(readFileSync(animalPhoto('fox', 1))).png().toFile(join(dir, 'b.png'));
    // 1 s of a photo as a tiny video file (ffmpeg itself is what the source uses).
    video = join(dir, 'clip.mp4');
    const { spawnSync } = await import('node:child_process');
    const { ffmpegPath } = await import('../../src/ingest/video-source.js');
    const r = spawnSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-loop', '1', '-t', '1', '-i', join(dir, 'a.jpg'), '-vf', 'scale=160:-2,format=yuv420p', '-r', '10', '-c:v', 'mpeg4', '-y', video]);
    if (r.status !== 0) throw new Error(`ffmpeg could not make the test clip: ${r.stderr}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses camera, URL and file inputs and builds the documented ffmpeg command', () => {
    expect(parseVideoInput('camera:/dev/video2')).toEqual({ kind: 'camera', device: '/dev/video2' });
    expect(parseVideoInput('rtsp://user:pw@cam/stream').kind).toBe('url');
    expect(parseVideoInput('clip.mp4')).toEqual({ kind: 'file', path: 'clip.mp4' });
    const args = ffmpegArgs({ kind: 'camera', device: '/dev/video0', format: 'v4l2' }, { fps: 5 });
    expect(args.join(' ')).toContain('-f v4l2 -i /dev/video0 -an -vf fps=5 -f image2pipe -c:v mjpeg -q:v 5 -');
    expect(ffmpegArgs({ kind: 'camera', device: '0', format: 'avfoundation' }).join(' ')).toContain('-f avfoundation -framerate 30 -i 0');
    expect(ffmpegArgs({ kind: 'camera', device: 'Integrated Camera', format: 'dshow' })).toContain('video=Integrated Camera');
    expect(ffmpegArgs({ kind: 'url', url: 'http://x/y.m3u8' }, { networkTimeoutMs: 2000 }).join(' ')).toContain('-rw_timeout 2000000');
  });

  it('reads a video file at the requested rate as JPEG frames', async () => {
    const frames = await collect(openVideoSource(video, { fps: 5 }));
    expect(frames.length).toBeGreaterThanOrEqual(4);
    expect(frames.length).toBeLessThanOrEqual(6);
    expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i));
    expect(frames[2].ptsSec).toBeCloseTo(0.4, 5);
    const meta = await sharp(frames[0].jpeg).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBe(160);
  });

  it('reads single images and folders (non-JPEG re-encoded as JPEG)', async () => {
    const folder = openImageSource(dir);
    const frames = await collect(folder);
    expect(folder.files.map((f) => f.slice(dir.length + 1))).toEqual(['a.jpg', 'b.png']);
    expect(frames).toHaveLength(2);
    expect(frames[0].jpeg.equals(readFileSync(join(dir, 'a.jpg')))).toBe(true);
    expect((await sharp(frames[1].jpeg).metadata()).format).toBe('jpeg');
    expect(() => openImageSource(join(dir, 'missing'))).toThrow(/no such file or folder/);
  });

  it('fails clearly, within the timeout, on a URL that accepts and never answers', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const t0 = Date.now();
      const err = await collect(openVideoSource(`http://127.0.0.1:${port}/live.mjpeg`, { openTimeoutMs: 3000, networkTimeoutMs: 1500 })).catch((e) => e);
      const elapsed = Date.now() - t0;
      expect(err).toBeInstanceOf(VideoSourceError);
      expect(err.message).toMatch(new RegExp(`stream http://127.0.0.1:${port}/live.mjpeg`));
      expect(err.message).toMatch(/no frame within 3000 ms|ffmpeg exited/);
      expect(sockets.length).toBeGreaterThan(0); // it really connected
      expect(elapsed).toBeLessThan(8000);
    } finally {
      sockets.forEach((s) => s.destroy());
      server.close();
    }
  });

  it('refuses a camera device that does not exist', () => {
    expect(() => openVideoSource('camera:/dev/video97')).toThrow(VideoSourceError);
    expect(() => openVideoSource('camera:/dev/video97')).toThrow(/camera \/dev\/video97: no such camera device/);
    expect(() => openVideoSource(join(dir, 'nope.mp4'))).toThrow(/no such file/);
  });

  it('reports a camera that fails in ffmpeg as an error event while another stream carries on', async () => {
    const bus = new EmbeddedBus();
    // /dev/null exists but is no v4l2 device: ffmpeg starts and exits non-zero, like an unplugged camera.
    const broken = publishVideoSource(bus, 'cam-broken', openVideoSource({ kind: 'camera', device: '/dev/null', format: 'v4l2' }, { openTimeoutMs: 5000 }));
    const errors: Error[] = [];
    broken.on('error', (e: Error) => errors.push(e));
    const healthy = publishVideoSource(bus, 'file-ok', openVideoSource(video, { fps: 5 }), { maxLag: 1000 });
    const [b, h] = await Promise.all([broken.done, healthy.done]);
    expect(b.error).toBeInstanceOf(VideoSourceError);
    expect(b.error!.message).toMatch(/camera \/dev\/null: ffmpeg exited with code/);
    expect(errors).toHaveLength(1);
    expect(h.error).toBeUndefined();
    expect(h.published).toBeGreaterThanOrEqual(4);
    await bus.close();
  });
});

describe('live sources under backpressure', () => {
  it('drop the oldest frames instead of building a backlog, and count them', async () => {
    const bus = new EmbeddedBus();
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).jpeg().toBuffer();
    const total = 60;
    // A fast live source (a camera at ~100 fps) and no consumer at all: the lag only grows.
    const source: FrameSource = {
      live: true,
      description: 'fake camera',
      async *[Symbol.asyncIterator]() {
        for (let seq = 0; seq < total; seq++) {
          await new Promise((r) => setTimeout(r, 10));
          yield { jpeg, seq, capturedAt: Date.now(), ptsSec: seq / 100 };
        }
      },
      async close() {},
    };
    const before = await droppedTotal();
    const pub = publishVideoSource(bus, 'cam-1', source, { maxLag: 10 });
    const summary = await pub.done;
    expect(summary.error).toBeUndefined();
    expect(summary.published + summary.dropped).toBe(total);
    expect(summary.published).toBeLessThanOrEqual(12); // the bound (10) plus what was in flight
    expect(summary.dropped).toBeGreaterThanOrEqual(total - 12);
    expect((await droppedTotal()) - before).toBe(summary.dropped);
    expect(await bus.lag('streamlens.features:image', TOPICS.videoFrames)).toBe(summary.published);
    // What got through: the first frames up to the bound, then only the newest (the oldest were dropped).
    const seqs: number[] = [];
    const reader = bus.consumer({ groupId: 'test-reader', topics: [TOPICS.videoFrames], fromBeginning: true });
    await reader.run(async (batch) => {
      for (const m of batch.messages) seqs.push(decodeMessage(m.value).env.seq);
    });
    const deadline = Date.now() + 5000;
    while (seqs.length < summary.published && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    seqs.sort((a, b) => a - b);
    expect(seqs.slice(0, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seqs.at(-1)).toBe(total - 1);
    await reader.stop();
    await bus.close();
  });

  it('publishes browser frames through the same live path and refuses non-JPEG bytes', async () => {
    const bus = new EmbeddedBus();
    const consumer = bus.consumer({ groupId: 'streamlens.features:image', topics: [TOPICS.videoFrames] });
    const got: number[] = [];
    await consumer.run(async (batch) => {
      for (const m of batch.messages) {
        const msg = decodeMessage(m.value);
        if (msg.type === 'video.frame') got.push(msg.env.seq);
      }
    });
    const pub = createReceivedFramePublisher(bus, 'browser-1');
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123' } }).jpeg().toBuffer();
    expect(() => pub.push(Buffer.from('not a jpeg'))).toThrow(/not a complete JPEG/);
    for (let i = 0; i < 3; i++) {
      pub.push(jpeg);
      await new Promise((r) => setTimeout(r, 30));
    }
    await pub.close();
    const deadline = Date.now() + 5000;
    while (got.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual([0, 1, 2]);
    expect(pub.stats()).toEqual({ published: 3, dropped: 0 });
    await consumer.stop();
    await bus.close();
  });
});
