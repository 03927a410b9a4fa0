import { request } from 'node:http';
import { WebSocket } from 'ws';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP request with the path sent exactly as given (no URL normalisation, unlike fetch). */
export function rawRequest(base: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

const received = new WeakMap<WebSocket, { type: string; [k: string]: unknown }[]>();

/**
 * Opens a WebSocket; resolves with it once open, or rejects with the HTTP status of a refused
 * upgrade. Text messages are collected from the first one on (see collect()).
 */
export function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const messages: { type: string; [k: string]: unknown }[] = [];
    received.set(ws, messages);
    ws.on('message', (d, isBinary) => {
      if (!isBinary) messages.push(JSON.parse(d.toString()));
    });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused with HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

/** Resolves with the close code and reason of a socket. */
export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

export function wsUrl(httpUrl: string, path: string): string {
  return httpUrl.replace(/^http/, 'ws') + path;
}

/** The parsed JSON text messages a socket opened with openSocket() has received so far (a live array). */
export function collect(ws: WebSocket): { type: string; [k: string]: unknown }[] {
  const out = received.get(ws);
  if (!out) throw new Error('collect() needs a socket opened with openSocket()');
  return out;
}
