import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataRoot, repoRoot } from '../../src/core/paths.js';
import { runCli, tempDir } from './helpers.js';

/**
 * Issue 20 point 1: the published bin runs compiled JavaScript (dist/, built by `npm run build`,
 * which `npm install` runs through prepare); tsx only with STREAMLENS_DEV=1 (the tests' own runs).
 */
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('compiled CLI', () => {
  it('dist/ is built and the bin runs it without tsx: a real photo is classified, stack frames are dist/*.js', async () => {
    expect(existsSync(join(repoRoot, 'dist', 'src', 'cli.js')), 'dist/src/cli.js missing: run npm run build').toBe(true);
    const cats = join(dataRoot(), 'animals', 'cat');
    const photo = join(cats, readdirSync(cats).sort()[0]);
    const r = await runCli(['classify', 'image', photo], { env: { STREAMLENS_DEV: undefined } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim()).label).toBe('cat');
    const v = await runCli(['classify', 'course', join(repoRoot, 'no-such.csv'), '--verbose'], { env: { STREAMLENS_DEV: undefined } });
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/dist\/src\/[\w/-]+\.js:\d+/);
    expect(v.stderr).not.toMatch(/[/\\]src\/[\w/-]+\.ts:\d+/);
  });

  it('without dist/ the bin says how to build, in one line, exit 1', async () => {
    const dir = tempDir();
    dirs.push(dir);
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(repoRoot, 'bin', 'streamlens.mjs'), join(dir, 'bin', 'streamlens.mjs'));
    const { spawnSync } = await import('node:child_process');
    const env = { ...process.env };
    delete env.STREAMLENS_DEV;
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'streamlens.mjs'), '--version'], { env, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('streamlens: not built: no dist/src/cli.js; run `npm run build` (npm install does it), or set STREAMLENS_DEV=1 to run the sources');
  });
});
