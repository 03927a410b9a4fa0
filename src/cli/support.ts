import { envValue } from '../core/environment.js';
/**
 * Shared behaviour of the command line: exit codes, one-line errors, per-input failures.
 *
 * Exit codes: 0 when every input succeeded; 1 when any input failed (the others are still processed
 * and printed) or the command could not run; 2 for usage errors (unknown option, bad option value,
 * missing argument). Errors are one line on stderr, `streamlens: <what>: <why>; <what to do>`; the
 * stack trace only with `--verbose` or `LOG_LEVEL=debug`.
 */
export const EXIT_OK = 0;
export const EXIT_INPUT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A bad command line: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

let verboseFlag = false;

export function setVerbose(v: boolean): void {
  verboseFlag = v;
}

/** `--verbose` or LOG_LEVEL=debug/trace: stack traces on errors. */
export function isVerbose(): boolean {
  const level = envValue('LOG_LEVEL');
  return verboseFlag || level === 'debug' || level === 'trace';
}

/** A message as one line (multi-line tool output such as ffmpeg's is joined with " | "). */
export function oneLine(message: string): string {
  const parts = message
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  return parts.reduce((acc, p, i) => (i === 0 ? p : acc + (/[:;]$/.test(acc) ? ' ' : '; ') + p), '');
}

/** The error's message; Node file-system errors as `<path>: <what>; <what to do>`. */
export function errorMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err instanceof Error && typeof err.path === 'string') {
    if (err.code === 'ENOENT') return `${err.path}: no such file or folder; check the path`;
    if (err.code === 'EISDIR') return `${err.path}: is a folder; give a file`;
    if (err.code === 'ENOTDIR') return `${err.path}: is not a folder; check the path`;
    if (err.code === 'EACCES' || err.code === 'EPERM') return `${err.path}: permission denied; check its permissions`;
  }
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** Writes one error line on stderr (plus the stack when verbose). */
export function printError(e: unknown, prefix?: string): void {
  const msg = oneLine(errorMessage(e));
  process.stderr.write(`streamlens: ${prefix ? `${prefix}: ` : ''}${msg}\n`);
  if (isVerbose() && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
}

/** Records that one input failed: its error line on stderr, exit code 1 at the end (the rest go on). */
export function inputFailed(message: string, e?: unknown): void {
  process.stderr.write(`streamlens: ${oneLine(message)}\n`);
  if (isVerbose() && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  if (!process.exitCode) process.exitCode = EXIT_INPUT_FAILED;
}

/** Writes a warning line on stderr (honest-evaluation notes, skipped inputs). */
export function warn(message: string): void {
  process.stderr.write(`streamlens: warning: ${oneLine(message)}\n`);
}

/** The exit code for an error that stopped a command. */
export function exitCodeOf(e: unknown): number {
  return e instanceof UsageError ? EXIT_USAGE : EXIT_INPUT_FAILED;
}
