import type { StreamInfo } from './app-context.js';
import { redactSecrets, redactSource, shortenPaths } from '../core/redact.js';

/**
 * A stream as the API and the dashboard show it: source URLs without credentials, file paths
 * relative to the allowed directory they lie in ("data/udemy/udemy_courses.csv"), errors redacted
 * the same way. Applied to every stream the gateway sends (REST and WebSocket), whatever the app.
 */
export function publicStreamInfo(s: StreamInfo, roots: readonly { dir: string; label: string }[]): StreamInfo {
  const out: StreamInfo = { ...s, source: redactSource(s.source, roots) };
  if (s.error !== undefined) out.error = shortenPaths(redactSecrets(s.error), roots);
  return out;
}
