import { pino, type Logger } from 'pino';

/** Structured JSON logs on stderr (stdout is kept for command output such as JSON results). */
export const logger: Logger = pino(
  { level: process.env.LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info'), base: { app: 'streamlens' } },
  pino.destination(2),
);

export function childLogger(bindings: Record<string, unknown>): Logger {
  return logger.child(bindings);
}
