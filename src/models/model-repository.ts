import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { repoRoot } from '../core/paths.js';
import { type ModelManifest, ModelLoadError, parseManifest } from './manifest.js';
import { jsonErrorSummary } from '../core/redact.js';
import { envValue } from '../core/environment.js';

/** Root of the model repository; `STREAMLENS_MODELS` overrides. */
export function modelsRoot(): string {
  return resolve(envValue('STREAMLENS_MODELS') ?? join(repoRoot, 'models'));
}

export interface ModelVersion {
  dir: string;
  manifest: ModelManifest;
}

/** Version folders of a model, highest first. */
export function listVersions(name: string, root = modelsRoot()): string[] {
  const dir = join(root, name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((v) => /^\d+$/.test(v) && statSync(join(dir, v)).isDirectory())
    .sort((a, b) => Number(b) - Number(a));
}

export function listModels(root = modelsRoot()): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((n) => statSync(join(root, n)).isDirectory() && listVersions(n, root).length > 0).sort();
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * Reads and checks one version: the manifest parses, every listed file exists and matches its
 * hash. Throws ModelLoadError naming what is wrong.
 */
export function readVersion(dir: string): ModelVersion {
  const mPath = join(dir, 'manifest.json');
  if (!existsSync(mPath)) throw new ModelLoadError(dir, 'manifest.json is missing');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(mPath, 'utf8'));
  } catch (e) {
    throw new ModelLoadError(dir, `manifest.json is not valid JSON (${jsonErrorSummary(e)})`);
  }
  const manifest = parseManifest(dir, raw);
  if (manifest.version !== basename(dir)) throw new ModelLoadError(dir, `manifest version ${manifest.version} does not match folder ${basename(dir)}`);
  for (const [role, file] of Object.entries(manifest.files)) {
    if (!file) continue;
    const p = join(dir, file);
    if (!existsSync(p)) throw new ModelLoadError(dir, `${role} file ${file} is missing`);
    const expected = manifest.sha256[file];
    if (role !== 'report') {
      if (!expected) throw new ModelLoadError(dir, `no sha256 for ${file} in the manifest`);
      const actual = sha256File(p);
      if (actual !== expected) throw new ModelLoadError(dir, `${file} does not match its sha256 (corrupt or replaced)`);
    }
  }
  const primary = manifest.format === 'onnx' ? manifest.files.onnx : manifest.files.json;
  if (!primary) throw new ModelLoadError(dir, `format ${manifest.format} needs files.${manifest.format}`);
  return { dir, manifest };
}

/** The highest version that loads, or the pinned one. */
export function resolveModel(name: string, pinned?: string, root = modelsRoot()): ModelVersion {
  const versions = pinned ? [pinned] : listVersions(name, root);
  if (versions.length === 0) throw new ModelLoadError(join(root, name), 'no versions found (train one with `streamlens train`)');
  return readVersion(join(root, name, versions[0]));
}

/**
 * Writes a new version folder: copies/writes the files, hashes them and writes the manifest.
 * Returns the new version's folder.
 */
export function publishVersion(
  name: string,
  manifest: Omit<ModelManifest, 'version' | 'sha256' | 'created' | 'name'> & { created?: string },
  files: Record<string, Buffer | { copyFrom: string }>,
  root = modelsRoot(),
  version?: string,
): ModelVersion {
  const next = version ?? String((Number(listVersions(name, root)[0] ?? 0) || 0) + 1);
  const dir = join(root, name, next);
  mkdirSync(dir, { recursive: true });
  const sha256: Record<string, string> = {};
  for (const [file, content] of Object.entries(files)) {
    const p = join(dir, file);
    mkdirSync(join(p, '..'), { recursive: true });
    if (Buffer.isBuffer(content)) writeFileSync(p, content);
    else copyFileSync(content.copyFrom, p);
    sha256[file] = sha256File(p);
  }
  const full = parseManifest(dir, { ...manifest, name, version: next, created: manifest.created ?? new Date().toISOString(), sha256 });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(full, null, 2) + '\n');
  return readVersion(dir);
}
