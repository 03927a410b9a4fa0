import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { launchChromium } from '../helpers/chromium.js';
import { buildDashboard } from '../helpers/dashboard-build.js';
import { FakeApp } from '../helpers/fake-app.js';
import { ownNonLoopbackIPv4 } from '../helpers/own-address.js';

/**
 * The dashboard in headless Chromium against a gateway that needs a token (bound to this machine's
 * non-loopback address): sign-in, the token never in a URL, the API by header, the WebSocket by
 * subprotocol, reports by the session cookie. Then a page on another origin trying to drive a
 * loopback gateway that has no token.
 */
const TOKEN = 'browser-token-3c5e7a9b1d2f';
let dist: string;
let browser: Browser;

beforeAll(async () => {
  dist = await buildDashboard();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('dashboard with a token (non-loopback)', () => {
  let app: FakeApp;
  let gw: Gateway;
  beforeAll(async () => {
    app = new FakeApp({ streams: [{ id: 'demo-voice', media: 'audio' }], ratePerStream: 3 });
    await app.start();
    gw = await createGateway(app, { host: ownNonLoopbackIPv4(), port: 0, dashboardDir: dist, env: { STREAMLENS_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await gw?.close();
    await app?.stop();
  });

  it('signs in from /#token=, shows live predictions, and the token never travels in a URL', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests: Request[] = [];
    context.on('request', (r) => requests.push(r));
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    const first = await page.goto(`${gw.url}/`);
    expect(first!.status()).toBe(401);
    expect(await page.locator('#token').count()).toBe(1); // the sign-in page, no dashboard
    await page.goto(`${gw.url}/#token=${TOKEN}`);
    await page.waitForFunction(() => {
      const label = document.querySelector('[data-stream="demo-voice"] .big-label')?.textContent;
      return document.getElementById('conn')?.textContent === 'live' && !!label && label !== 'waiting…';
    }, undefined, { timeout: 20_000 });
    expect(page.url()).not.toContain(TOKEN);
    expect(sockets.length).toBeGreaterThan(0);
    for (const u of [...requests.map((r) => r.url()), ...sockets]) expect(u).not.toContain(TOKEN);
    const apiCalls = requests.filter((r) => new URL(r.url()).pathname.startsWith('/api/'));
    expect(apiCalls.length).toBeGreaterThan(0);
    for (const r of apiCalls) expect((await r.allHeaders()).authorization, r.url()).toBe(`Bearer ${TOKEN}`);
    expect(gw.counters().clients).toBeGreaterThan(0); // the socket got in: by its subprotocol (browsers cannot send headers on a WebSocket)

    // Reports open in a new tab with the session cookie.
    await page.goto(`${gw.url}/#/models`);
    const [report] = await Promise.all([context.waitForEvent('page'), page.click('a[href="/reports/emotion/1"]')]);
    await report.waitForLoadState();
    expect(await report.textContent('h1')).toBe('Emotion model, version 1');

    // A new tab has the cookie but not the token: the dashboard asks for it, then goes live.
    const tab = await context.newPage();
    await tab.goto(`${gw.url}/`);
    await tab.waitForSelector('#signin-token', { timeout: 10_000 });
    await tab.fill('#signin-token', 'not-the-token-000000');
    await tab.click('form.signin button');
    await tab.waitForFunction(() => document.querySelector('form.signin .error')?.textContent === 'That token is not valid.');
    await tab.fill('#signin-token', TOKEN);
    await tab.click('form.signin button');
    await tab.waitForFunction(() => document.getElementById('conn')?.textContent === 'live', undefined, { timeout: 20_000 });
    await context.close();
  });
});

describe('a page on another origin cannot drive a loopback gateway without a token', () => {
  let app: FakeApp;
  let gw: Gateway;
  let evil: Server;
  let evilUrl: string;
  beforeAll(async () => {
    app = new FakeApp();
    await app.start();
    gw = await createGateway(app, { port: 0, dashboardDir: dist, env: {} });
    evil = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>other origin</title>'));
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
    evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => evil?.close(() => r()));
    await gw?.close();
    await app?.stop();
  });

  /** What a page runs: a no-cors POST of course records (text/plain, a "simple" request), an HTML form POST, and WebSockets. */
  const attack = (target: string, tag: string) => `(async () => {
    await fetch(${JSON.stringify(`${target}/api/courses?stream=`)} + '${tag}-fetch', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: '{"course_id":"1","course_title":"x"}' }).catch(() => undefined);
    const opened = await new Promise((resolve) => {
      const ws = new WebSocket(${JSON.stringify(target.replace(/^http/, 'ws'))} + '/ws/ingest?stream=${tag}-mic&media=audio');
      ws.onopen = () => { ws.close(); resolve(true); };
      ws.onerror = () => resolve(false);
    });
    const frame = document.createElement('iframe');
    frame.name = '${tag}-sink';
    document.body.append(frame);
    const form = document.createElement('form');
    form.method = 'POST';
    form.enctype = 'text/plain';
    form.target = '${tag}-sink';
    form.action = ${JSON.stringify(`${target}/api/courses?stream=`)} + '${tag}-form';
    const input = document.createElement('input');
    input.name = '{"course_id":"2","course_title":"';
    input.value = '"}';
    form.append(input);
    document.body.append(form);
    const loaded = new Promise((r) => (frame.onload = r));
    form.submit();
    await loaded;
    return opened;
  })()`;

  it('writes and sockets from the other origin are refused; the same requests from the gateway\'s own page go through', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(evilUrl);
    const opened = await page.evaluate(attack(gw.url, 'evil'));
    expect(opened).toBe(false);
    expect(app.streams.list().map((s) => s.id)).toEqual([]);
    expect(app.ingested.courseRecords).toBe(0);

    // Control: the same page code from the gateway's own origin is accepted (so the refusal above is the Origin check).
    const own = await context.newPage();
    await own.goto(`${gw.url}/`);
    expect(await own.evaluate(attack(gw.url, 'own'))).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(app.streams.list().map((s) => s.id).sort()).toEqual(['own-fetch', 'own-form']);
    expect(app.ingested.courseRecords).toBe(2);
    await context.close();
  });
});
