import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { registerSecret } from '../core/redact.js';

/** True for addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h === '::1') return true;
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice(7));
  return false;
}

export class GatewaySecurityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewaySecurityError';
  }
}

/**
 * Decides the token policy: a configured token is always enforced; binding to a non-loopback
 * address without a token is refused, so the gateway is never open to the network by accident.
 */
export function resolveToken(host: string, configured: string | undefined, env: string | undefined): string | undefined {
  const token = configured ?? (env && env.length > 0 ? env : undefined);
  if (token !== undefined && token.length < 16) {
    throw new GatewaySecurityError('gateway token must be at least 16 characters (gateway.token or STREAMLENS_TOKEN)');
  }
  if (!token && !isLoopbackHost(host)) {
    throw new GatewaySecurityError(
      `refusing to listen on non-loopback host "${host}" without a token: set gateway.token in the config or the STREAMLENS_TOKEN environment variable (at least 16 characters), or bind to 127.0.0.1`,
    );
  }
  registerSecret(token); // never logged, never echoed (src/core/redact.ts)
  return token;
}

/** The optional metrics-only token (gateway.metricsToken, else STREAMLENS_METRICS_TOKEN); it opens /metrics and nothing else. */
export function resolveMetricsToken(configured: string | undefined, env: string | undefined, mainToken: string | undefined): string | undefined {
  const token = configured ?? (env && env.length > 0 ? env : undefined);
  if (token === undefined) return undefined;
  if (token.length < 16) throw new GatewaySecurityError('metrics token must be at least 16 characters (gateway.metricsToken or STREAMLENS_METRICS_TOKEN)');
  if (mainToken === undefined) throw new GatewaySecurityError('a metrics token needs the main token too (gateway.token or STREAMLENS_TOKEN): without one nothing is protected');
  registerSecret(token);
  return token;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison of a presented token with the expected one (both hashed first, so lengths do not leak). */
export function tokenMatches(presented: string | undefined, expected: string | undefined): boolean {
  if (presented === undefined || expected === undefined) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The token of `Authorization: Bearer <t>`. Tokens in URLs (`?token=`) are never accepted: URLs end up in logs and histories. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return undefined;
}

/** The WebSocket subprotocol the gateway selects; browsers, which cannot set headers on a WebSocket, offer it beside the token. */
export const WS_PROTOCOL = 'streamlens';
/** Prefix of the subprotocol that carries the token, base64url-encoded: `streamlens.bearer.<base64url(token)>`. */
export const WS_TOKEN_PROTOCOL_PREFIX = 'streamlens.bearer.';

/** The subprotocols a client offers. */
export function offeredProtocols(req: IncomingMessage): string[] {
  const h = req.headers['sec-websocket-protocol'];
  if (!h) return [];
  return (Array.isArray(h) ? h.join(',') : h).split(',').map((p) => p.trim()).filter(Boolean);
}

/** The token a WebSocket upgrade presents: the Authorization header, else the `streamlens.bearer.` subprotocol. */
export function presentedSocketToken(req: IncomingMessage): string | undefined {
  const header = presentedToken(req);
  if (header !== undefined) return header;
  const p = offeredProtocols(req).find((x) => x.startsWith(WS_TOKEN_PROTOCOL_PREFIX));
  if (!p) return undefined;
  const encoded = p.slice(WS_TOKEN_PROTOCOL_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  return Buffer.from(encoded, 'base64url').toString('utf8');
}

/** The subprotocol that carries `token` (what the dashboard offers). */
export function tokenProtocol(token: string): string {
  return WS_TOKEN_PROTOCOL_PREFIX + Buffer.from(token, 'utf8').toString('base64url');
}

// ---- browser session cookie (documents only: the dashboard's files and reports) ---------------

/** The cookie a browser keeps after `POST /api/session`: it opens the dashboard's files and reports, never the API. */
export const SESSION_COOKIE = 'streamlens_session';
export const SESSION_TTL_MS = 12 * 3600_000;

function sessionMac(token: string, expires: number): Buffer {
  return createHmac('sha256', token).update(`streamlens-session:${expires}`).digest();
}

/** A session value: expiry (epoch ms) and an HMAC of it keyed by the token (the token itself is never in the cookie). */
export function sessionValue(token: string, now = Date.now(), ttlMs = SESSION_TTL_MS): string {
  const expires = now + ttlMs;
  return `${expires}.${sessionMac(token, expires).toString('base64url')}`;
}

/** True for an unexpired session value made with this token (constant-time comparison). */
export function sessionValid(value: string | undefined, token: string, now = Date.now()): boolean {
  if (!value) return false;
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return false;
  const expires = Number(m[1]);
  if (!(expires > now) || expires > now + SESSION_TTL_MS + 60_000) return false;
  return timingSafeEqual(Buffer.from(m[2], 'base64url'), sessionMac(token, expires));
}

/** A cookie of the request by name. */
export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Set-Cookie for a session (HttpOnly, SameSite=Strict, Secure when the request came over TLS). */
export function sessionCookieHeader(value: string | undefined, secure: boolean, ttlMs = SESSION_TTL_MS): string {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
  return value === undefined ? `${SESSION_COOKIE}=; Max-Age=0; ${attrs.join('; ')}` : `${SESSION_COOKIE}=${value}; Max-Age=${Math.floor(ttlMs / 1000)}; ${attrs.join('; ')}`;
}

/**
 * Cross-site write guard (CSRF): a write from a browser must come from this server's own origin
 * (or allowedOrigins). `Origin` must be absent (not a browser) or allowed, and `Sec-Fetch-Site`,
 * when the browser sends it, must say same-origin (or none: typed by the user), unless the Origin
 * is one of allowedOrigins. Returns why a write is refused, or undefined.
 */
export function writeRefusal(req: IncomingMessage, allowedOrigins: readonly string[]): string | undefined {
  if (!originAllowed(req, allowedOrigins)) return `origin ${JSON.stringify(req.headers.origin)} is not allowed to write (same origin or gateway.allowedOrigins only)`;
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  const listed = origin !== undefined && (allowedOrigins.includes(origin) || allowedOrigins.includes('*'));
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none' && !listed) return `cross-site write refused (Sec-Fetch-Site: ${site})`;
  return undefined;
}

/**
 * Origin check for browser requests (WebSocket upgrades and mutating REST calls). No Origin header:
 * not a browser page (curl, scripts) — allowed, the token guards those. Otherwise the origin must
 * be this server's own (same host:port as the Host header) or listed in allowedOrigins.
 */
export function originAllowed(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowedOrigins.includes('*') || allowedOrigins.includes(origin)) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  const host = req.headers.host;
  return host !== undefined && (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.host.toLowerCase() === host.toLowerCase();
}

/**
 * DNS-rebinding guard for a loopback-bound gateway: a page on evil.example resolving to 127.0.0.1
 * sends `Host: evil.example`; only loopback names (and hosts of allowedOrigins) are accepted.
 */
export function hostHeaderAllowed(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const host = req.headers.host;
  if (!host) return false;
  const name = host.replace(/:\d+$/, '');
  if (isLoopbackHost(name)) return true;
  return allowedOrigins.some((o) => {
    try {
      return new URL(o).hostname.toLowerCase() === name.replace(/^\[|\]$/g, '').toLowerCase();
    } catch {
      return false;
    }
  });
}
