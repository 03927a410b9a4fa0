import { pino, type Logger } from 'pino';
import { redactSecrets, redactValue } from './redact.js';

/**
 * Structured JSON logs on stderr (stdout is kept for command output such as JSON results).
 * Every line passes through src/core/redact.ts: credentials in URLs, credential query parameters,
 * Authorization values and registered secrets (tokens, passwords) never reach the log.
 */
export const logger: Logger = pino(
  {
    level: process.env.LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info'),
    base: { app: 'streamlens' },
    formatters: {
      bindings: (bindings) => redactValue(bindings),
      log: (object) => redactValue(object),
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactSecrets(a) : a)) as Parameters<typeof method>);
      },
    },
  },
  pino.destination(2),
);

export function childLogger(bindings: Record<string, unknown>): Logger {
  return logger.child(bindings);
}
