import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/core/metrics.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { FakeApp } from '../helpers/fake-app.js';
import { collect, openSocket, wsUrl } from '../helpers/gateway-client.js';
import { waitFor } from '../helpers/wait.js';

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values ?? []).find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v ? Number(v.value) : 0;
}

const STREAMS = 8;
const MAX_BUFFERED = 512 * 1024;
const PER_STREAM = 10;
const PAD = 4000;

describe('slow dashboard clients', () => {
  let app: FakeApp;
  let gw: Gateway;
  beforeAll(async () => {
    app = new FakeApp({ streams: Array.from({ length: STREAMS }, (_, i) => ({ id: `s${i}`, media: 'audio' as const })), ratePerStream: 20, padBytes: PAD });
    await app.start();
    gw = await createGateway(app, { port: 0, env: {}, limits: { maxBufferedBytes: MAX_BUFFERED, maxQueuedPerStream: PER_STREAM, slowDisconnectMs: 3000 } });
  });
  afterAll(async () => {
    await gw.close();
    await app.stop();
  });

  it('keeps a non-reading client bounded, counts its drops, disconnects it, and never slows a fast client', async () => {
    const droppedBefore = await metricValue('streamlens_dropped_total', { where: 'ws-client', reason: 'slow' });
    const fast = await openSocket(wsUrl(gw.url, '/ws'));
    const fastMessages = collect(fast);
    fast.send(JSON.stringify({ type: 'subscribe', streams: '*' }));
    const slow = await openSocket(wsUrl(gw.url, '/ws'));
    slow.send(JSON.stringify({ type: 'subscribe', streams: '*' }));
    // Stop reading: the TCP window fills and the gateway's writes back up.
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();

    let maxBuffered = 0;
    let maxQueued = 0;
    await waitFor(() => {
      for (const c of gw.counters().perClient) {
        maxBuffered = Math.max(maxBuffered, c.buffered);
        maxQueued = Math.max(maxQueued, c.queued);
      }
      return gw.counters().droppedSlow > 100;
    }, 'the slow client to drop predictions', 30_000, 10);

    const messageBytes = PAD + 600;
    expect(maxBuffered).toBeLessThanOrEqual(MAX_BUFFERED + messageBytes);
    expect(maxQueued).toBeLessThanOrEqual(STREAMS * PER_STREAM);
    expect(await metricValue('streamlens_dropped_total', { where: 'ws-client', reason: 'slow' })).toBeGreaterThan(droppedBefore + 100);

    // It stays behind, so it is disconnected; the fast client is still served.
    await waitFor(() => gw.counters().clients === 1, 'the slow client to be disconnected', 15_000);
    expect(await metricValue('streamlens_gateway_rejected_total', { where: 'ws', reason: 'slow' })).toBeGreaterThanOrEqual(1);
    // The fast client shares this test process (and a busy CI machine), so allow it a little slack.
    const fastClient = gw.counters().perClient[0];
    const generated = gw.counters().predictionsIn;
    expect(fastClient.dropped).toBeLessThan(generated * 0.05);
    const predictions = fastMessages.filter((m) => m.type === 'prediction');
    expect(predictions.length).toBeGreaterThan(generated * 0.9);
    expect(fastMessages.some((m) => m.type === 'stats')).toBe(true);
    fast.close();
    slow.terminate();
  });

  it('sends only subscribed streams, the latest prediction at once on subscribe, and answers bad control messages', async () => {
    const ws = await openSocket(wsUrl(gw.url, '/ws'));
    const msgs = collect(ws);
    await waitFor(() => msgs.some((m) => m.type === 'streams'), 'the stream list');
    ws.send(JSON.stringify({ type: 'subscribe', streams: ['s3'] }));
    await waitFor(() => msgs.filter((m) => m.type === 'prediction').length >= 5, 'predictions of s3');
    const ids = new Set(msgs.filter((m) => m.type === 'prediction').map((m) => (m.prediction as { streamId: string }).streamId));
    expect([...ids]).toEqual(['s3']);
    ws.send('not json');
    ws.send(JSON.stringify({ type: 'subscribe', streams: 5 }));
    await waitFor(() => msgs.filter((m) => m.type === 'error').length === 2, 'two error replies');
    expect(msgs.filter((m) => m.type === 'error').map((m) => m.error)).toEqual(['control message is not valid JSON', '"streams" must be "*" or an array of stream ids']);
    ws.close();
  });
});
