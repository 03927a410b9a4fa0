import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';
import { tokenProtocol } from '../../src/gateway/security.js';
import { ownNonLoopbackIPv4 } from '../helpers/own-address.js';

/**
 * `streamlens start` as a real process, bound to this machine's non-loopback address with a token,
 * with camera and audio streams whose URLs carry a user and password (RTSP to a closed port, HTTP
 * / HLS to a local server that answers 404: ffmpeg fails and prints the URL in full), one added over
 * the API, and a CSV that is a copy of a passwd file. Every answer of the gateway and every line the
 * process writes (LOG_LEVEL=debug) is searched for the password, the user, the tokens and the file.
 */
const USER = 'camuser7f3q';
const PASSWORD = 'S3cr3t-pa55w0rd-Zq81';
const URL_TOKEN = 'urltok-6b1d9e2c7a54';
const TOKEN = 'e2e-gateway-token-5a7c9e1f3b';
const METRICS_TOKEN = 'e2e-metrics-token-2d4f6a8c0e';
const SECRETS = [PASSWORD, encodeURIComponent(PASSWORD), USER, URL_TOKEN, TOKEN, METRICS_TOKEN, 'root:x:0', 'daemon:x'];

let dir: string;
let http: Server;
let child: ChildProcess;
let output = '';
let base = '';
let closedPort = 0;
const answers: string[] = [];

async function freePortThatRefuses(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function record(path: string, init: RequestInit = {}, token: string | null = TOKEN): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  const r = await fetch(`${base}${path}`, { ...init, headers });
  const text = await r.text();
  const shown: Record<string, string> = {};
  r.headers.forEach((v, k) => (shown[k] = v));
  answers.push(`${init.method ?? 'GET'} ${path} -> ${r.status} ${JSON.stringify(shown)}\n${text}`);
  return new Response(text, { status: r.status, headers: r.headers });
}

beforeAll(async () => {
  const ip = ownNonLoopbackIPv4();
  dir = mkdtempSync(join(tmpdir(), 'streamlens-creds-'));
  writeFileSync(join(dir, 'passwd-copy.csv'), 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n');
  http = createServer((_req, res) => res.writeHead(404).end('no such stream'));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const httpPort = (http.address() as AddressInfo).port;
  closedPort = await freePortThatRefuses();
  const config = join(dir, 'streams.yaml');
  writeFileSync(
    config,
    stringify({
      sources: { allowedDirs: [dir] },
      streams: [
        { id: 'cam-rtsp', source: { kind: 'video-url', url: `rtsp://${USER}:${PASSWORD}@127.0.0.1:${closedPort}/stream` } },
        { id: 'cam-hls', source: { kind: 'video-url', url: `http://${USER}:${PASSWORD}@127.0.0.1:${httpPort}/live/index.m3u8?token=${URL_TOKEN}` } },
        { id: 'voice-http', source: { kind: 'audio-url', url: `http://${USER}:${PASSWORD}@127.0.0.1:${httpPort}/voice.wav` } },
        { id: 'courses-pw', source: { kind: 'csv', path: join(dir, 'passwd-copy.csv') } },
      ],
    }),
  );
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(VITEST|TEST|NODE_OPTIONS$|STREAMLENS_)/.test(k)) env[k] = v;
  Object.assign(env, { STREAMLENS_TOKEN: TOKEN, STREAMLENS_METRICS_TOKEN: METRICS_TOKEN, LOG_LEVEL: 'debug' });
  child = spawn(process.execPath, [join(repoRoot, 'bin', 'streamlens.mjs'), 'start', '-c', config, '--no-demo', '--stages', 'none', '--host', ip, '--port', '0'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 90_000;
  while (!base) {
    const m = /dashboard at (http:\/\/\S+)/.exec(output);
    if (m) base = m[1];
    else if (child.exitCode !== null) throw new Error(`streamlens exited early (${child.exitCode}):\n${output.slice(-3000)}`);
    else if (Date.now() > deadline) throw new Error(`streamlens did not start within 90 s:\n${output.slice(-3000)}`);
    else await new Promise((r) => setTimeout(r, 100));
  }
  expect(new URL(base).hostname).toBe(ip);
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  await new Promise<void>((r) => http?.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('credentials in source URLs never come back (real process, non-loopback, token)', () => {
  it('the streams fail on ffmpeg errors that quote their URL, and the stream list shows them redacted', async () => {
    const added = await record('/api/streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'cam-api', source: { kind: 'video-url', url: `rtsp://${USER}:${PASSWORD}@127.0.0.1:${closedPort}/api-stream` } }),
    });
    expect(added.status).toBe(201);
    expect(((await added.json()) as { stream: { source: { url: string } } }).stream.source.url).toBe(`rtsp://***@127.0.0.1:${closedPort}/api-stream`);
    const ids = ['cam-rtsp', 'cam-hls', 'voice-http', 'cam-api', 'courses-pw'];
    const deadline = Date.now() + 45_000;
    let streams: { id: string; status: string; error?: string; source: { url?: string; path?: string } }[] = [];
    for (;;) {
      streams = ((await (await record('/api/streams')).json()) as { streams: typeof streams }).streams;
      if (ids.every((id) => streams.find((s) => s.id === id)?.status === 'error') || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const byId = Object.fromEntries(streams.map((s) => [s.id, s]));
    for (const id of ids) expect(byId[id]?.status, `${id}: ${JSON.stringify(byId[id])}`).toBe('error');
    expect(byId['cam-rtsp'].source.url).toBe(`rtsp://***@127.0.0.1:${closedPort}/stream`);
    expect(byId['cam-hls'].source.url).toMatch(/^http:\/\/\*\*\*@127\.0\.0\.1:\d+\/live\/index\.m3u8\?token=\*\*\*$/);
    // ffmpeg's own message ("<url>: Connection refused" / "Server returned 404") is in the error, redacted.
    expect(byId['cam-rtsp'].error).toMatch(/rtsp:\/\/\*\*\*@127\.0\.0\.1:\d+\/stream: Connection refused/);
    expect(byId['cam-hls'].error).toMatch(/\*\*\*@127\.0\.0\.1:\d+\/live\/index\.m3u8\?token=\*\*\*: Server returned 404/);
    expect(byId['voice-http'].error).toMatch(/\*\*\*@127\.0\.0\.1:\d+\/voice\.wav/);
    // File paths are shown relative to their allowed directory, and the passwd copy is not quoted.
    expect(byId['courses-pw'].source.path).toMatch(/^streamlens-creds-[^/]+\/passwd-copy\.csv$/);
    expect(byId['courses-pw'].error).toMatch(/header is missing the column\(s\)/);
    for (const id of ids) await record(`/api/streams/${id}`);
  }, 90_000);

  it('every other answer: duplicate and invalid adds, models, stats, metrics, healthz, the dashboard socket', async () => {
    expect((await record('/api/streams', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'cam-api', source: { kind: 'video-url', url: `rtsp://${USER}:${PASSWORD}@127.0.0.1:1/x` } }) })).status).toBe(409);
    expect((await record('/api/streams', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'bad', source: { kind: 'video-url', url: `rtsp://${USER}:${PASSWORD}@127.0.0.1:1/x`, fps: -1 } }) })).status).toBe(400);
    expect((await record('/api/streams', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"id":"x","source":{"kind":"video-url","url":"rtsp://${USER}:${PASSWORD}@h/` })).status).toBe(400);
    expect((await record('/api/models')).status).toBe(200);
    expect((await record('/api/stats')).status).toBe(200);
    expect((await record('/metrics')).status).toBe(200);
    expect((await record('/metrics', {}, METRICS_TOKEN)).status).toBe(200);
    expect((await record('/healthz', {}, null)).status).toBe(200);
    expect((await record('/api/streams', {}, null)).status).toBe(401);
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`, ['streamlens', tokenProtocol(TOKEN)]);
    const first = await new Promise<string>((resolve, reject) => {
      ws.on('message', (d) => {
        const text = d.toString();
        if (text.includes('"type":"streams"')) resolve(text);
      });
      ws.once('error', reject);
    });
    ws.close();
    answers.push(`WS /ws\n${first}`);
    expect(first).toContain('cam-rtsp');
  });

  it('no answer and no log line holds the password, the user, a token or a line of the file', async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    const all = answers.join('\n');
    expect(answers.length).toBeGreaterThan(15);
    for (const secret of SECRETS) {
      expect(all.includes(secret), `an answer holds ${JSON.stringify(secret)}:\n${all.split('\n').filter((l) => l.includes(secret)).slice(0, 3).join('\n')}`).toBe(false);
      expect(output.includes(secret), `the log holds ${JSON.stringify(secret)}:\n${output.split('\n').filter((l) => l.includes(secret)).slice(0, 3).join('\n')}`).toBe(false);
    }
    // The failures were logged (so the search above looked at them), redacted.
    expect(output).toMatch(/"msg":"stream failed"/);
    expect(output).toMatch(/rtsp:\/\/\*\*\*@127\.0\.0\.1:\d+\/stream: Connection refused/);
  }, 30_000);
});
