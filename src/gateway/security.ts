import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

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
  return token;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison of a presented token with the expected one. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The token a request presents: `Authorization: Bearer <t>`, or `?token=` (meant for WebSockets, which browsers cannot give headers). */
export function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return url.searchParams.get('token') ?? undefined;
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
