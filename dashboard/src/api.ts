const TOKEN_KEY = 'streamlens.token';

/**
 * The access token (needed when the gateway is reachable from the network). Open the dashboard
 * once as `/#token=<token>` (the fragment never leaves the browser) or sign in on the form: it is
 * kept in this tab's session storage and removed from the URL. It goes to the gateway in the
 * Authorization header (REST) and in a WebSocket subprotocol, never in a URL.
 */
export function accessToken(): string | undefined {
  const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (m) {
    const token = decodeURIComponent(m[1]);
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    const rest = location.hash.replace(/(?:^#|&)token=[^&]*/, '').replace(/^&/, '');
    history.replaceState(null, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
    if (token) return token;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function setAccessToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Calls the REST API; a failure throws with the server's error text (which names bad fields). */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  const token = accessToken();
  if (token) headers.set('Authorization', `Bearer ${token}`);
  const res = await fetch(path, { ...init, headers });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { error?: string };
      if (body.error) message = body.error;
    } catch {
      /* not JSON: keep the status line */
    }
    throw new ApiError(message, res.status);
  }
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** ws(s):// URL of a gateway path (never with the token: that travels in socketProtocols()). */
export function socketUrl(path: string, params: Record<string, string> = {}): string {
  const u = new URL(path, location.href);
  u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** WebSocket subprotocols: "streamlens" (what the gateway selects) and, with a token, "streamlens.bearer.<base64url token>". */
export function socketProtocols(): string[] {
  const token = accessToken();
  return token ? ['streamlens', `streamlens.bearer.${base64url(token)}`] : ['streamlens'];
}

/**
 * Checks the session before the dashboard starts: resolves when the gateway needs no token or
 * accepts ours (and refreshes the cookie that opens the reports); resolves false when a token is
 * needed and missing or wrong.
 */
export async function ensureSession(): Promise<boolean> {
  try {
    const s = await api<{ auth: 'none' | 'token' }>('/api/session');
    if (s.auth === 'token') await api('/api/session', { method: 'POST' });
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return false;
    return true; // the gateway is down or old: the live socket reports the state
  }
}
