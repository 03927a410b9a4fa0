import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { repoRoot } from '../../src/core/paths.js';

/** Builds the dashboard (the same config as `npm run build:dashboard`) into `outDir` (default: a fresh temp folder). */
export async function buildDashboard(outDir = mkdtempSync(join(tmpdir(), 'streamlens-dashboard-'))): Promise<string> {
  await build({ configFile: join(repoRoot, 'dashboard', 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
  return outDir;
}
