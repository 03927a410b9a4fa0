const TOKEN_KEY = 'streamlens.token';

/**
 * The access token (needed when the gateway is reachable from the network). Open the dashboard
 * once as `/?token=<token>`: it is kept in this tab's session storage and removed from the URL.
 */
export function accessToken(): string | undefined {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export class ApiError extends Error {}

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
    throw new ApiError(message);
  }
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** ws(s):// URL of a gateway path, with the token when there is one. */
export function socketUrl(path: string, params: Record<string, string> = {}): string {
  const u = new URL(path, location.href);
  u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const token = accessToken();
  if (token) u.searchParams.set('token', token);
  return u.toString();
}
