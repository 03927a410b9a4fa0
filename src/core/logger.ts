import { pino, type DestinationStream, type Logger } from 'pino';
import { redactSecrets, redactValue } from './redact.js';
import { envValue } from './environment.js';

/**
 * Logs go to stderr only (stdout is kept for command output such as JSON results).
 * Format: human-readable lines when stderr is a terminal, JSON lines (pino) when it is not, or
 * always JSON with `LOG_FORMAT=json` (`LOG_FORMAT=pretty` forces the human form).
 * Level: `LOG_LEVEL`, else the level the CLI configured (one-shot commands: warn), else info.
 * The root logger is created on first use, so the CLI can configure it before any module logs.
 */
export type LogFormat = 'json' | 'pretty';

export interface LogSettings {
  /** Default level when LOG_LEVEL is not set. */
  level?: string;
  format?: LogFormat;
}

let settings: LogSettings = {};
let root: Logger | undefined;

/** Sets the default level and format; call before the first log line (later calls only change the level). */
export function configureLogging(s: LogSettings): void {
  settings = { ...settings, ...s };
  if (root) root.level = logLevel();
}

export function logLevel(): string {
  return envValue('LOG_LEVEL') || settings.level || (process.env.VITEST ? 'warn' : 'info');
}

export function logFormat(): LogFormat {
  const env = envValue('LOG_FORMAT');
  if (env) return env;
  return settings.format ?? (process.stderr.isTTY ? 'pretty' : 'json');
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'pid', 'hostname', 'app', 'msg', 'component']);

function fieldValue(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (v !== null && typeof v === 'object' && 'message' in (v as object) && typeof (v as { message: unknown }).message === 'string') {
    return JSON.stringify((v as { message: string }).message);
  }
  return JSON.stringify(v);
}

/** One pino JSON line -> `13:04:05.123 INFO  onnx: model loaded model=emotion version=4`. */
export function formatLogLine(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : line + '\n';
  }
  const t = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 23) : '';
  const level = (LEVEL_NAMES[o.level as number] ?? String(o.level)).padEnd(5);
  const component = typeof o.component === 'string' ? `${o.component}: ` : '';
  const fields = Object.entries(o)
    .filter(([k, v]) => !OMIT.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${fieldValue(v)}`)
    .join(' ');
  return `${t} ${level} ${component}${String(o.msg ?? '')}${fields ? ' ' + fields : ''}\n`;
}

function prettyStderr(): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) process.stderr.write(formatLogLine(line));
    },
  };
}

/**
 * A logger whose every line passes through src/core/redact.ts: credentials in URLs, credential
 * query parameters, Authorization values and registered secrets (tokens, passwords) never reach
 * the log, whether in the message, a field or a child logger's bindings.
 */
export function createLogger(destination: DestinationStream, level = logLevel()): Logger {
  return pino(
    {
      level,
      base: { app: 'streamlens' },
      // Fields named like secrets become "***" and strings are redacted before the line is built ...
      formatters: { log: (object) => redactValue(object) },
      // ... and the finished line is redacted once more: the message, child bindings, serialized errors.
      hooks: { streamWrite: (line) => redactSecrets(line) },
    },
    destination,
  );
}

function rootLogger(): Logger {
  root ??= createLogger(logFormat() === 'pretty' ? prettyStderr() : pino.destination(2));
  return root;
}

export function childLogger(bindings: Record<string, unknown>): Logger {
  return rootLogger().child(redactValue(bindings));
}
