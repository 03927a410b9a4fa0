import { realpathSync } from 'node:fs';
import { basename, delimiter, join, resolve, sep } from 'node:path';
import type { AppConfig, SourceConfig } from './config.js';
import { dataRoot, repoRoot } from './paths.js';
import { excerpt } from './redact.js';
import { envValue } from './environment.js';

/**
 * Confinement of file sources: a stream may read only files inside the directories the config
 * names (`sources.allowedDirs`; default: the data directory and the demo assets). A path is
 * resolved against the working directory, then through every symbolic link (realpath), and must
 * lie inside the real path of an allowed directory: `..` and links cannot lead out.
 */
export class SourcePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourcePathError';
  }
}

export interface SourceRoot {
  /** As configured, resolved to an absolute path. */
  dir: string;
  /** Its real path (links resolved); undefined when the directory does not exist. */
  real?: string;
  /** Short name shown instead of the directory in stream lists ("data", "demo"). */
  label: string;
}

/** The default allowed directories: the development data and the demo assets. */
export function defaultSourceDirs(): string[] {
  return [dataRoot(), join(repoRoot, 'assets', 'demo')];
}

/** STREAMLENS_SOURCE_DIRS (a list separated by the platform's path delimiter), or undefined. */
export function sourceDirsFromEnv(env: Record<string, string | undefined> = process.env): string[] | undefined {
  const raw = envValue('STREAMLENS_SOURCE_DIRS', env);
  if (!raw) return undefined;
  const dirs = raw.split(delimiter).map((d) => d.trim()).filter(Boolean);
  return dirs.length > 0 ? dirs : undefined;
}

/** The allowed directories of a config, resolved, with their real paths and display labels. */
export function sourceRoots(dirs: readonly string[]): SourceRoot[] {
  const used = new Map<string, number>();
  return dirs.map((d) => {
    const dir = resolve(d);
    let real: string | undefined;
    try {
      real = realpathSync(dir);
    } catch {
      real = undefined;
    }
    const base = basename(dir) || 'root';
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return { dir, real, label: n === 1 ? base : `${base}-${n}` };
  });
}

export function rootsOf(config: Pick<AppConfig, 'sources'>): SourceRoot[] {
  return sourceRoots(config.sources?.allowedDirs ?? defaultSourceDirs());
}

/** Roots for display: paths under either form of a root are shown relative to its label. */
export function displayRoots(roots: readonly SourceRoot[]): { dir: string; label: string }[] {
  const out: { dir: string; label: string }[] = [];
  for (const r of roots) {
    if (r.real) out.push({ dir: r.real, label: r.label });
    if (r.real !== r.dir) out.push({ dir: r.dir, label: r.label });
  }
  // Longest first, so a root inside another is matched first.
  return out.sort((a, b) => b.dir.length - a.dir.length);
}

function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

function listed(roots: readonly SourceRoot[]): string {
  return roots.map((r) => r.dir).join(', ');
}

/**
 * The real path of a file source, or a SourcePathError naming the field: outside every allowed
 * directory, missing, or leading out through a symbolic link.
 */
export function confineSourcePath(input: string, roots: readonly SourceRoot[], field = 'source.path'): string {
  if (typeof input !== 'string' || input.length === 0) throw new SourcePathError(`${field}: a path is required`);
  if (input.includes('\0')) throw new SourcePathError(`${field}: the path holds a NUL byte`);
  const existing = roots.filter((r) => r.real !== undefined);
  if (existing.length === 0) {
    throw new SourcePathError(`${field}: none of the directories streams may read exists (sources.allowedDirs: ${listed(roots)})`);
  }
  const abs = resolve(input);
  if (!existing.some((r) => within(abs, r.dir) || within(abs, r.real!))) {
    throw new SourcePathError(`${field}: ${excerpt(input, 200)} is outside the directories streams may read (sources.allowedDirs: ${listed(existing)})`);
  }
  let real: string;
  try {
    real = realpathSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SourcePathError(`${field}: ${excerpt(input, 200)} ${code === 'ENOENT' ? 'does not exist' : `cannot be opened (${code ?? 'error'})`}`);
  }
  if (!existing.some((r) => within(real, r.real!))) {
    throw new SourcePathError(`${field}: ${excerpt(input, 200)} leads outside the directories streams may read through a symbolic link (sources.allowedDirs: ${listed(existing)})`);
  }
  return real;
}

/** A check for files found inside an allowed folder (image folders): each must stay inside too. */
export function fileConfiner(roots: readonly SourceRoot[], field = 'source.path'): (file: string) => string {
  return (file) => confineSourcePath(file, roots, field);
}

type FileSource = Extract<SourceConfig, { path: string }>;

/** True for the sources that read server files. */
export function isFileSource(source: SourceConfig): source is FileSource {
  return 'path' in source && typeof (source as { path?: unknown }).path === 'string';
}

/** The source with its path confined (its real path), or the source unchanged when it reads no file. */
export function confineSource<S extends SourceConfig>(source: S, roots: readonly SourceRoot[]): S {
  if (!isFileSource(source)) return source;
  return { ...source, path: confineSourcePath(source.path, roots) };
}
