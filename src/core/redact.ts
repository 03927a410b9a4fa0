/**
 * The one place that decides what a credential looks like and how it is hidden. Everything that
 * prints a source, a URL or text that may hold one goes through here: API answers and WebSocket
 * messages (src/gateway), log lines (the pino hooks of src/core/logger.ts), error messages
 * (ffmpeg's stderr in src/ingest), /metrics (src/core/metrics.ts), HTML reports
 * (src/analysis/report.ts), `streamlens config` and the dashboard (dashboard/src/tiles.ts).
 *
 * Pure string functions, no Node.js imports: the dashboard bundles this file too.
 */

/** Shown instead of a secret. */
export const REDACTED = '***';

/** Query parameters whose value is a credential (case-insensitive). */
const SECRET_PARAM = /^(?:password|passwd|pwd|pass|passphrase|token|access_token|refresh_token|id_token|auth|auth_token|authorization|api[_-]?key|apikey|secret|client_secret|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|sas|sv_sig|session|sessionid|sid|credential|credentials|sasl_password|sasl\.password)$/i;

/** Keys of objects whose value is a credential (configs, log objects). */
const SECRET_KEY = /^(?:password|passwd|pwd|pass|passphrase|token|metricsToken|metrics_token|secret|apiKey|api_key|authorization|cookie|set-cookie|credentials?|accessToken|access_token|saslPassword)$/i;

/** scheme://userinfo@ inside free text: userinfo runs (greedily, to the last @) up to the end of the authority. */
const TEXT_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>`]*)@/gi;
/** ?name=value / &name=value inside free text. */
const TEXT_PARAM = /([?&;])([A-Za-z0-9_.-]+)=([^&#\s"'<>`]*?)(?=[:,.;)\]]*(?:[&#\s"'<>`]|$))/g;
/** Authorization header values quoted in text (ffmpeg -loglevel debug prints them, so do proxies). */
const TEXT_AUTH_HEADER = /\b(authorization["']?\s*[:=]\s*["']?)(basic|bearer|digest|negotiate)\s+[A-Za-z0-9._~+/=-]{4,}/gi;

/**
 * Secrets known by value (tokens, passwords taken out of URLs, SASL passwords): replaced wherever
 * they appear, also without a URL around them (ffmpeg sometimes prints the password alone).
 */
const knownSecrets = new Set<string>();
let knownPattern: RegExp | undefined;
const MAX_KNOWN = 2000;
/** Shorter values are not matched by value (they would blank out ordinary words); URL rules still apply. */
export const MIN_KNOWN_SECRET_LENGTH = 4;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Registers a secret value so that redactSecrets() hides it wherever it appears. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < MIN_KNOWN_SECRET_LENGTH || value === REDACTED) return;
  const forms = new Set([value]);
  try {
    forms.add(decodeURIComponent(value));
  } catch {
    /* not percent-encoded */
  }
  forms.add(encodeURIComponent(value));
  for (const f of forms) {
    if (f.length < MIN_KNOWN_SECRET_LENGTH || knownSecrets.has(f)) continue;
    if (knownSecrets.size >= MAX_KNOWN) knownSecrets.delete(knownSecrets.values().next().value!);
    knownSecrets.add(f);
  }
  // Longest first, so a secret that contains another is replaced whole.
  knownPattern = new RegExp([...knownSecrets].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
}

/** The user and password of a URL-like string, percent-decoded (for registerSecret). */
export function urlCredentials(url: string): { username?: string; password?: string } {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url);
  if (!m) return {};
  const info = m[1];
  const colon = info.indexOf(':');
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return colon < 0 ? { username: dec(info) } : { username: dec(info.slice(0, colon)), password: dec(info.slice(colon + 1)) };
}

/** Registers the password (and, when there is no password, the user: a bare token) of a URL. */
export function registerUrlSecrets(url: string): void {
  const { username, password } = urlCredentials(url);
  if (password) {
    registerSecret(password);
    // The raw (still percent-encoded) form is what URLs in messages carry.
    const raw = /^[a-z][a-z0-9+.-]*:\/\/[^:/?#]*:([^/?#]*)@/i.exec(url)?.[1];
    if (raw) registerSecret(raw);
  } else if (username) {
    registerSecret(username);
  }
  const q = url.indexOf('?');
  if (q >= 0) {
    for (const part of url.slice(q + 1).split(/[&;#]/)) {
      const eq = part.indexOf('=');
      if (eq > 0 && SECRET_PARAM.test(part.slice(0, eq))) registerSecret(part.slice(eq + 1));
    }
  }
}

/**
 * Hides every credential in a piece of text: the user:password of any URL in it, credential query
 * parameters, Authorization header values and every registered secret.
 */
export function redactSecrets(text: string): string {
  if (typeof text !== 'string' || text.length === 0) return text;
  let out = text;
  if (knownPattern) out = out.replace(knownPattern, REDACTED);
  if (out.includes('://')) out = out.replace(TEXT_USERINFO, (_m, scheme: string) => `${scheme}${REDACTED}@`);
  if (out.includes('=')) out = out.replace(TEXT_PARAM, (m, sep: string, name: string) => (SECRET_PARAM.test(name) ? `${sep}${name}=${REDACTED}` : m));
  if (/authorization/i.test(out)) out = out.replace(TEXT_AUTH_HEADER, (_m, prefix: string, scheme: string) => `${prefix}${scheme} ${REDACTED}`);
  return out;
}

/** A URL without its user, password and credential query parameters (rtsp://***@host/stream). */
export function redactUrl(url: string): string {
  return redactSecrets(url);
}

/** True when the key of a config or log field names a credential. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * A deep copy of a value (a config, a log object) with credentials hidden: fields named like
 * secrets become "***", strings go through redactSecrets. Depth-limited; cycles are cut.
 */
export function redactValue<T>(value: T, depth = 8, seen: WeakSet<object> = new WeakSet()): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (depth <= 0 || seen.has(value as object)) return value;
  seen.add(value as object);
  if (value instanceof Error) {
    const e = value as Error & Record<string, unknown>;
    const copy = new Error(redactSecrets(e.message)) as Error & Record<string, unknown>;
    copy.name = e.name;
    if (e.stack) copy.stack = redactSecrets(e.stack);
    for (const k of Object.keys(e)) copy[k] = isSecretKey(k) ? REDACTED : redactValue(e[k], depth - 1, seen);
    return copy as T;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth - 1, seen)) as T;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redactValue(v, depth - 1, seen);
  }
  return out as T;
}

/**
 * A short, escaped excerpt of a value for error messages: at most `max` characters of it, as a
 * JSON string literal (control characters and quotes escaped), "…" when cut.
 */
export function excerpt(value: unknown, max = 24): string {
  const s = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const cut = [...s];
  const head = cut.slice(0, max).join('');
  return JSON.stringify(redactSecrets(head)) + (cut.length > max ? '…' : '');
}

/**
 * What a JSON.parse SyntaxError says, without the input: V8's messages quote the start of the text
 * ("Unexpected token 'r', "root:x:0:0"... is not valid JSON"); this keeps the kind of error and the
 * offending character only.
 */
export function jsonErrorSummary(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/Unexpected end of JSON input|Unterminated string/i.test(msg)) return 'unexpected end of input';
  const pos = /position (\d+)/.exec(msg)?.[1];
  const tok = /Unexpected (?:token|character) '(.)'/.exec(msg);
  const what = /non-whitespace character after JSON/i.test(msg)
    ? 'unexpected text after the JSON value'
    : tok
      ? `unexpected character ${JSON.stringify(tok[1])}`
      : /Bad control character/i.test(msg)
        ? 'control character in a string'
        : /Unexpected/i.test(msg)
          ? 'unexpected character'
          : 'syntax error';
  return pos ? `${what} at position ${pos}` : what;
}

/** A path for display: relative to the labelled root it lies in ("data/udemy/x.csv"), else its last segment only. */
export function displayPath(path: string, roots: readonly { dir: string; label: string }[]): string {
  if (!path.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(path)) return path;
  for (const r of roots) {
    const dir = r.dir.replace(/[\\/]+$/, '');
    if (path === dir) return r.label;
    if (path.startsWith(dir + '/') || path.startsWith(dir + '\\')) return `${r.label}/${path.slice(dir.length + 1)}`;
  }
  const last = path.split(/[\\/]/).filter(Boolean).pop();
  return last ? `…/${last}` : '…';
}

/** Replaces absolute paths under the labelled roots inside text with their display form. */
export function shortenPaths(text: string, roots: readonly { dir: string; label: string }[]): string {
  let out = text;
  for (const r of roots) {
    const dir = r.dir.replace(/[\\/]+$/, '');
    if (dir.length > 1) out = out.split(dir).join(r.label);
  }
  return out;
}

/** A stream source as it may be shown: URLs without credentials, paths relative to their root. */
export function redactSource<S extends { kind: string }>(source: S, roots: readonly { dir: string; label: string }[] = []): S {
  const out: Record<string, unknown> = { ...source };
  if (typeof out.url === 'string') out.url = redactUrl(out.url);
  if (typeof out.path === 'string') out.path = redactSecrets(displayPath(out.path, roots));
  if (typeof out.device === 'string') out.device = redactSecrets(out.device);
  return out as S;
}
