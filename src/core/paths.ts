import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envValue } from './environment.js';

/**
 * Repository root (the folder holding package.json): two folders up from src/core, three from the
 * compiled dist/src/core.
 */
export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(from, '..', '..');
  }
}

/** True when this code runs compiled (dist/*.js), false when it runs as TypeScript through tsx (development, tests). */
export const runningCompiled = import.meta.url.endsWith('.js');

/**
 * The file that runs a repository source file (`bench/bus.ts`): itself under tsx, its compiled
 * `dist/bench/bus.js` when compiled.
 */
export function runnableFile(repoRelativeTs: string): string {
  return runningCompiled ? join(repoRoot, 'dist', repoRelativeTs.replace(/\.ts$/, '.js')) : join(repoRoot, repoRelativeTs);
}

/** Node arguments that run `runnableFile(...)` in a child process (tsx's loader under tsx). */
export function nodeArgsFor(repoRelativeTs: string): string[] {
  return runningCompiled ? [runnableFile(repoRelativeTs)] : ['--import', 'tsx', runnableFile(repoRelativeTs)];
}

/**
 * Root of the development data (RAVDESS, animal photos, Udemy CSV).
 * `STREAMLENS_DATA` overrides; the default is `../shared/data` beside the repository.
 */
export function dataRoot(): string {
  return resolve(envValue('STREAMLENS_DATA') ?? join(repoRoot, '..', 'shared', 'data'));
}

/** Root of shared pretrained models (Darknet-Tiny). `STREAMLENS_SHARED_MODELS` overrides. */
export function sharedModelsRoot(): string {
  return resolve(envValue('STREAMLENS_SHARED_MODELS') ?? join(repoRoot, '..', 'shared', 'models'));
}

/** Resolve a data sub-path and fail with a message that says what is missing and how to point at it. */
export function requireDataPath(sub: string, what: string): string {
  const p = join(dataRoot(), sub);
  if (!existsSync(p)) {
    throw new Error(
      `${what} not found at ${p}. Put the development data at ../shared/data or set STREAMLENS_DATA to its folder.`,
    );
  }
  return p;
}

/** Folder for caches (Kafka jars, extracted features). `STREAMLENS_CACHE` overrides. */
export function cacheRoot(): string {
  return resolve(envValue('STREAMLENS_CACHE') ?? join(repoRoot, '.cache'));
}
