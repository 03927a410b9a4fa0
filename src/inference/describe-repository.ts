import { join } from 'node:path';
import type { ModelManifest } from '../models/manifest.js';
import { listModels, listVersions, modelsRoot, readVersion } from '../models/model-repository.js';

export interface RepositoryRow {
  name: string;
  version: string;
  task: string;
  status: 'ok' | 'refused';
  headline: string;
  error?: string;
  created?: string;
}

/** One row per model version, with its headline metric or the reason it is refused. */
export function describeRepository(root = modelsRoot()): RepositoryRow[] {
  const rows: RepositoryRow[] = [];
  for (const name of listModels(root)) {
    for (const version of listVersions(name, root)) {
      try {
        const { manifest } = readVersion(join(root, name, version));
        rows.push({ name, version, task: manifest.task, status: 'ok', headline: headline(servedMetrics(manifest)) + (manifest.cascade ? ` cascade=${manifest.cascade.threshold}` : ''), created: manifest.created });
      } catch (e) {
        rows.push({ name, version, task: '?', status: 'refused', headline: '', error: (e as Error).message });
      }
    }
  }
  return rows;
}

/**
 * The metrics of what is served. Image versions record one entry per trained model kind
 * ({ transfer: { validation, test }, ... }); the served one is the gated model when the version has
 * out-of-distribution gates, else the cascade when it has one, else the shipped kind (training.model),
 * and its held-out test numbers are the headline.
 */
function servedMetrics(manifest: ModelManifest): Record<string, unknown> {
  if (manifest.task !== 'image-animal') return manifest.metrics;
  const gated = ['transfer-cascade-gated', 'transfer-ood-gated'].find((k) => manifest.metrics[k] !== undefined);
  const kind = gated ?? (manifest.cascade ? 'transfer-cascade' : String((manifest.training as { model?: unknown }).model ?? ''));
  const entry = manifest.metrics[kind] as { test?: Record<string, unknown> } | undefined;
  return entry?.test ?? manifest.metrics;
}

function headline(metrics: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of ['accuracy', 'macroF1', 'auc', 'r2']) {
    const v = metrics[key];
    if (typeof v === 'number') parts.push(`${key}=${v.toFixed(3)}`);
    else if (v && typeof v === 'object' && typeof (v as { mean?: unknown }).mean === 'number') {
      parts.push(`${key}=${((v as { mean: number }).mean).toFixed(3)}`);
    }
  }
  return parts.join(' ');
}
