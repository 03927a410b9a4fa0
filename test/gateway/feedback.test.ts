import type { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prediction } from '../../src/bus/envelope.js';
import { PREDICTION_ID_PATTERN, predictionId } from '../../src/bus/prediction-id.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { FakeApp } from '../helpers/fake-app.js';
import { collect, openSocket, wsUrl } from '../helpers/gateway-client.js';
import { waitFor } from '../helpers/wait.js';

/**
 * POST /api/feedback on a gateway with a token: the true label of a prediction the gateway showed is
 * counted once per prediction into streamlens_feedback_total / streamlens_feedback_accuracy on
 * /metrics and the confusion matrix of GET /api/feedback; every refusal is a 4xx JSON answer.
 */
const TOKEN = 'feedback-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const REMEMBERED = 200;
let app: FakeApp;
let gw: Gateway;
let ws: WebSocket;

beforeAll(async () => {
  app = new FakeApp({ streams: [{ id: 'cam-1', media: 'video' }, { id: 'mic-1', media: 'audio' }], ratePerStream: 20, seed: 3 });
  await app.start();
  gw = await createGateway(app, { port: 0, env: { STREAMLENS_TOKEN: TOKEN }, rememberPredictions: REMEMBERED });
  ws = await openSocket(wsUrl(gw.url, '/ws'), AUTH);
  ws.send(JSON.stringify({ type: 'subscribe', streams: '*' }));
  await waitFor(() => shown().filter((p) => p.kind === 'image').length >= 20 && shown().some((p) => p.kind === 'audio'), 'predictions on the socket', 20_000);
});
afterAll(async () => {
  ws?.close();
  await gw?.close();
  await app?.stop();
});

function shown(): (Prediction & { id: string })[] {
  return collect(ws).filter((m) => m.type === 'prediction').map((m) => m.prediction as Prediction & { id: string });
}

function feedback(body: unknown, headers: Record<string, string> = AUTH, contentType = 'application/json') {
  return fetch(`${gw.url}/api/feedback`, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`, { headers: AUTH })).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && want.every((w) => l.includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('prediction ids', () => {
  it('every prediction pushed to the dashboard carries an id, unique per input', () => {
    const ps = shown();
    for (const p of ps) expect(p.id).toMatch(PREDICTION_ID_PATTERN);
    expect(new Set(ps.map((p) => p.id)).size).toBe(ps.length);
  });
});

describe('POST /api/feedback', () => {
  it('needs the token, and a write from another origin is refused', async () => {
    const p = shown().find((x) => x.kind === 'image')!;
    let r = await feedback({ predictionId: p.id, label: 'cat' }, {});
    expect(r.status).toBe(401);
    r = await feedback({ predictionId: p.id, label: 'cat' }, { authorization: 'Bearer wrong-token-0000000000' });
    expect(r.status).toBe(401);
    r = await feedback({ predictionId: p.id, label: 'cat' }, { ...AUTH, origin: 'https://evil.example' });
    expect(r.status).toBe(403);
    expect((await r.json()).error).toMatch(/origin/);
    r = await feedback({ predictionId: p.id, label: 'cat' }, { ...AUTH, origin: gw.url, 'sec-fetch-site': 'cross-site' });
    expect(r.status).toBe(403);
  });

  it('bad input gets a 4xx JSON error that says what is wrong', async () => {
    const p = shown().find((x) => x.kind === 'image')!;
    const cases: [unknown, number, RegExp, string?][] = [
      ['{not json', 400, /not valid JSON/],
      [{ predictionId: p.id }, 400, /label/],
      [{ predictionId: p.id, label: 'cat', extra: 1 }, 400, /extra|Unrecognized/i],
      [{ predictionId: 7, label: 'cat' }, 400, /predictionId/],
      [{ predictionId: p.id, label: 'cat' }, 415, /Content-Type: application\/json/, 'text/plain'],
      [{ predictionId: p.id, label: 'x'.repeat(5000) }, 413, /over the limit/],
      [{ predictionId: '../etc/passwd', label: 'cat' }, 400, /not a prediction id/],
      [{ predictionId: predictionId({ streamId: 'cam-1', kind: 'image', seq: 1e9, capturedAt: Date.now() }), label: 'cat' }, 404, /no prediction .* was shown by this gateway/],
      [{ predictionId: p.id, label: 'horse' }, 400, /"horse" is not a label of model animal v1; it takes: cat, dog, fox, unknown/],
    ];
    for (const [body, status, error, type] of cases) {
      const r = await feedback(body, AUTH, type);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(r.headers.get('content-type')).toMatch(/application\/json/);
      expect((await r.json()).error).toMatch(error);
    }
    const unknownLabel = await (await feedback({ predictionId: p.id, label: 'horse' })).json();
    expect(unknownLabel.labels).toEqual(['cat', 'dog', 'fox', 'unknown']);
  });

  it('counts each prediction once: accuracy and the confusion matrix on /metrics and GET /api/feedback', async () => {
    const images = shown().filter((x) => x.kind === 'image').slice(0, 10);
    const other = (l: string) => ['cat', 'dog', 'fox'].find((x) => x !== l)!;
    // 7 right, 3 wrong: the true label of the last three is another class than the predicted one.
    const truths = images.map((p, i) => (i < 7 ? p.label : other(p.label)));
    const before = await metric('streamlens_feedback_total', { model: 'animal', version: '1', correct: 'true' });
    for (const [i, p] of images.entries()) {
      const r = await feedback({ predictionId: p.id, label: truths[i] });
      expect(r.status).toBe(201);
      expect(await r.json()).toMatchObject({ predictionId: p.id, model: 'animal', version: '1', stream: 'cam-1', label: truths[i], predicted: p.label, correct: i < 7, counted: true });
    }
    // The same label again: answered, not counted. Another label: 409, the first one stands.
    const again = await feedback({ predictionId: images[0].id, label: truths[0] });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true, counted: false });
    const conflict = await feedback({ predictionId: images[0].id, label: other(truths[0]) });
    expect(conflict.status).toBe(409);
    expect((await conflict.json()).error).toMatch(/already has the true label/);

    const after = await metric('streamlens_feedback_total', { model: 'animal', version: '1', correct: 'true' });
    expect(after - before).toBe(7);
    const wrongPairs = new Map<string, number>();
    for (let i = 7; i < 10; i++) wrongPairs.set(`${truths[i]}|${images[i].label}`, (wrongPairs.get(`${truths[i]}|${images[i].label}`) ?? 0) + 1);
    for (const [pair, n] of wrongPairs) {
      const [label, predicted] = pair.split('|');
      expect(await metric('streamlens_feedback_total', { model: 'animal', version: '1', label, predicted, correct: 'false' })).toBe(n);
    }
    expect(await metric('streamlens_feedback_accuracy', { model: 'animal', version: '1' })).toBeCloseTo(0.7, 10);
    expect(await metric('streamlens_feedback_duplicates_total', {})).toBeGreaterThanOrEqual(1);

    const q = (await (await fetch(`${gw.url}/api/feedback`, { headers: AUTH })).json()) as { versions: { model: string; version: string; n: number; share: number; confusion: { labels: string[]; counts: number[][] }; history: unknown[] }[] };
    const v = q.versions.find((x) => x.model === 'animal' && x.version === '1')!;
    expect(v.n).toBe(10);
    expect(v.share).toBeCloseTo(0.7, 10);
    expect(v.history).toHaveLength(10);
    const expected = v.confusion.labels.map(() => v.confusion.labels.map(() => 0));
    images.forEach((p, i) => expected[v.confusion.labels.indexOf(truths[i])][v.confusion.labels.indexOf(p.label)]++);
    expect(v.confusion.counts).toEqual(expected);
    expect(v.confusion.labels.slice(0, 4)).toEqual(['cat', 'dog', 'fox', 'unknown']);
  });

  it('audio takes "silence" as a true label; a model version of its own', async () => {
    const a = shown().find((x) => x.kind === 'audio')!;
    const r = await feedback({ predictionId: a.id, label: 'silence' });
    expect(r.status).toBe(201);
    expect(await r.json()).toMatchObject({ model: 'emotion', correct: a.label === 'silence' });
  });

  it('a prediction the gateway no longer remembers is answered 410, never silently dropped', async () => {
    const first = shown()[0];
    await waitFor(() => shown().length > REMEMBERED + 50, 'more predictions than the gateway remembers', 30_000);
    const r = await feedback({ predictionId: first.id, label: 'cat' });
    expect(r.status).toBe(410);
    expect((await r.json()).error).toMatch(/no longer remembered: this gateway keeps its last 200 predictions/);
    expect(await metric('streamlens_feedback_rejected_total', { reason: 'forgotten' })).toBeGreaterThanOrEqual(1);
  });
});
