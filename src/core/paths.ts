import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (the folder holding package.json). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Root of the development data (RAVDESS, animal photos, Udemy CSV).
 * `STREAMLENS_DATA` overrides; the default is `../shared/data` beside the repository.
 */
export function dataRoot(): string {
  return resolve(process.env.STREAMLENS_DATA ?? join(repoRoot, '..', 'shared', 'data'));
}

/** Root of shared pretrained models (Darknet-Tiny). `STREAMLENS_SHARED_MODELS` overrides. */
export function sharedModelsRoot(): string {
  return resolve(process.env.STREAMLENS_SHARED_MODELS ?? join(repoRoot, '..', 'shared', 'models'));
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
  return resolve(process.env.STREAMLENS_CACHE ?? join(repoRoot, '.cache'));
}
