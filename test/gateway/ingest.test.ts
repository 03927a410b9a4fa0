import sharp from 'sharp';
import type { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/core/metrics.js';
import { CLOSE, createGateway, type Gateway } from '../../src/gateway/index.js';
import { TokenBucket } from '../../src/gateway/token-bucket.js';
import { FakeApp } from '../helpers/fake-app.js';
import { closed, collect, openSocket, wsUrl } from '../helpers/gateway-client.js';
import { waitFor } from '../helpers/wait.js';

async function rejectedCount(reason: string): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'streamlens_gateway_rejected_total');
  const v = (m?.values ?? []).find((x) => x.labels.where === 'ws-ingest' && x.labels.reason === reason);
  return v ? Number(v.value) : 0;
}

/** 100 ms of a 440 Hz tone at 16 kHz, Int16LE. */
function toneChunk(): Buffer {
  const pcm = new Int16Array(1600);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16000));
  return Buffer.from(pcm.buffer);
}

/** Sends as fast as the socket takes it (far over the limits) until the gateway closes it. */
async function floodUntilClosed(ws: WebSocket, message: Buffer): Promise<void> {
  for (let i = 0; i < 5000 && ws.readyState === ws.OPEN; i++) {
    ws.send(message);
    if (i % 10 === 9) await new Promise((r) => setImmediate(r));
  }
}

describe('token bucket', () => {
  it('passes a burst up to capacity, then the refill rate', () => {
    let t = 0;
    const b = new TokenBucket(10, 5, () => t);
    expect(b.take(10)).toBe(true);
    expect(b.take(1)).toBe(false);
    t = 1000;
    expect(b.take(5)).toBe(true);
    expect(b.take(1)).toBe(false);
    t = 100_000;
    expect(b.take(11)).toBe(false);
  });
});

describe('binary ingest over /ws/ingest', () => {
  let app: FakeApp;
  let gw: Gateway;
  beforeAll(async () => {
    app = new FakeApp();
    await app.start();
    gw = await createGateway(app, { port: 0, env: {}, limits: { maxMessageBytes: 64 * 1024, maxMessagesPerSec: 20, maxBytesPerSec: 256 * 1024 } });
  });
  afterAll(async () => {
    await gw.close();
    await app.stop();
  });

  it('turns microphone PCM into predictions on a push stream that lives as long as the connection', async () => {
    const dash = await openSocket(wsUrl(gw.url, '/ws'));
    const msgs = collect(dash);
    dash.send(JSON.stringify({ type: 'subscribe', streams: ['browser-mic'] }));
    const ing = await openSocket(wsUrl(gw.url, '/ws/ingest?stream=browser-mic&media=audio&sampleRate=16000'));
    expect(app.streams.list().find((s) => s.id === 'browser-mic')).toMatchObject({ media: 'audio', source: { kind: 'push', media: 'audio' } });
    // A second producer for the same stream is refused.
    await expect(openSocket(wsUrl(gw.url, '/ws/ingest?stream=browser-mic&media=audio'))).rejects.toMatchObject({ status: 409 });
    for (let i = 0; i < 12; i++) ing.send(toneChunk());
    await waitFor(() => msgs.some((m) => m.type === 'prediction'), 'a prediction for browser-mic');
    const p = msgs.find((m) => m.type === 'prediction')!.prediction as { streamId: string; extra: { rmsDb: number } };
    expect(p.streamId).toBe('browser-mic');
    expect(p.extra.rmsDb).toBeCloseTo(20 * Math.log10(8000 / 32768 / Math.SQRT2), 1); // the tone's RMS level: the PCM arrived intact
    expect(app.ingested.audioSamples).toBe(12 * 1600);
    await waitFor(() => msgs.some((m) => m.type === 'streams' && (m.streams as { id: string }[]).some((s) => s.id === 'browser-mic')), 'the stream list to include browser-mic');
    ing.close();
    await waitFor(() => !app.streams.list().some((s) => s.id === 'browser-mic'), 'the push stream to be removed');
    dash.close();
  });

  it('takes one JPEG per message for video', async () => {
    const jpeg = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#08f' } }).jpeg().toBuffer();
    const ing = await openSocket(wsUrl(gw.url, '/ws/ingest?stream=browser-cam&media=video'));
    ing.send(jpeg);
    await waitFor(() => app.ingested.frames === 1, 'the frame to arrive');
    ing.close();
  });

  it('refuses bad query parameters with 400 naming the parameter', async () => {
    await expect(openSocket(wsUrl(gw.url, '/ws/ingest?stream=a&media=smell'))).rejects.toMatchObject({ status: 400 });
    await expect(openSocket(wsUrl(gw.url, '/ws/ingest?stream=../x&media=audio'))).rejects.toMatchObject({ status: 400 });
    await expect(openSocket(wsUrl(gw.url, '/ws/ingest?stream=a&media=audio&sampleRate=48000'))).rejects.toMatchObject({ status: 400 });
    await expect(openSocket(wsUrl(gw.url, '/ws/nope'))).rejects.toMatchObject({ status: 404 });
  });

  it('closes with 1009 and a reason on a message over the size limit, and counts it', async () => {
    const before = await rejectedCount('too-large');
    const ing = await openSocket(wsUrl(gw.url, '/ws/ingest?stream=big&media=audio'));
    const end = closed(ing);
    ing.send(Buffer.alloc(100 * 1024));
    const { code, reason } = await end;
    expect(code).toBe(CLOSE.messageTooBig);
    expect(reason).toMatch(/over the limit of 65536 bytes/);
    expect(await rejectedCount('too-large')).toBe(before + 1);
  });

  it('closes with 1008 when the message rate limit is exceeded, and counts it', async () => {
    const before = await rejectedCount('rate');
    const ing = await openSocket(wsUrl(gw.url, '/ws/ingest?stream=flood&media=audio'));
    const end = closed(ing);
    await floodUntilClosed(ing, Buffer.alloc(64));
    const { code, reason } = await end;
    expect(code).toBe(CLOSE.policyViolation);
    expect(reason).toMatch(/rate limit exceeded: more than 20 messages per second/);
    expect(await rejectedCount('rate')).toBe(before + 1);
  });

  it('closes with 1008 when the byte rate limit is exceeded', async () => {
    const ing = await openSocket(wsUrl(gw.url, '/ws/ingest?stream=bytes&media=audio'));
    const end = closed(ing);
    await floodUntilClosed(ing, Buffer.alloc(60 * 1024));
    const { code, reason } = await end;
    expect(code).toBe(CLOSE.policyViolation);
    expect(reason).toMatch(/bytes per second/);
  });

  it('closes with 1007 on odd-length PCM or a non-JPEG frame, and 1003 on text', async () => {
    let ing = await openSocket(wsUrl(gw.url, '/ws/ingest?stream=odd&media=audio'));
    let end = closed(ing);
    ing.send(Buffer.alloc(3));
    expect(await end).toMatchObject({ code: CLOSE.invalidPayload, reason: expect.stringMatching(/odd length/) });
    ing = await openSocket(wsUrl(gw.url, '/ws/ingest?stream=png&media=video'));
    end = closed(ing);
    ing.send(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
    expect(await end).toMatchObject({ code: CLOSE.invalidPayload, reason: expect.stringMatching(/not a JPEG/) });
    ing = await openSocket(wsUrl(gw.url, '/ws/ingest?stream=text&media=audio'));
    end = closed(ing);
    ing.send('hello');
    expect((await end).code).toBe(CLOSE.unsupportedData);
  });

  it('refuses ingest into an existing stream of another kind', async () => {
    await app.streams.add({ id: 'file-1', source: { kind: 'audio-file', path: 'a.wav', realtime: true, loop: false } });
    await expect(openSocket(wsUrl(gw.url, '/ws/ingest?stream=file-1&media=audio'))).rejects.toMatchObject({ status: 409 });
  });
});
