import { pino, type DestinationStream, type Logger } from 'pino';
import { redactSecrets, redactValue } from './redact.js';

/**
 * A logger whose every line passes through src/core/redact.ts: credentials in URLs, credential
 * query parameters, Authorization values and registered secrets (tokens, passwords) never reach
 * the log, whether in the message, a field or a child logger's bindings.
 */
export function createLogger(destination: DestinationStream, level = process.env.LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info')): Logger {
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

/** Structured JSON logs on stderr (stdout is kept for command output such as JSON results). */
export const logger: Logger = createLogger(pino.destination(2));

export function childLogger(bindings: Record<string, unknown>): Logger {
  return logger.child(redactValue(bindings));
}
