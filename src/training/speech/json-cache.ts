import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The JSON at `path` when it exists, else `build()`'s result written there (whole-file rename, so
 * processes building the same cache at once never read half a file). A null path only builds.
 */
export async function cachedJson<T>(path: string | null, build: () => Promise<T>): Promise<{ value: T; fromCache: boolean }> {
  if (path && existsSync(path)) return { value: JSON.parse(readFileSync(path, 'utf8')) as T, fromCache: true };
  const value = await build();
  if (path) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.${process.pid}.tmp`, JSON.stringify(value));
    renameSync(`${path}.${process.pid}.tmp`, path);
  }
  return { value, fromCache: false };
}
