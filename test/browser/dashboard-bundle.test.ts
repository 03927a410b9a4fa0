import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../helpers/dashboard-build.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('built dashboard', () => {
  let dist: string;
  beforeAll(async () => {
    dist = await buildDashboard();
  });

  it('stays under 300 KB gzipped in total', () => {
    const gz = files(dist).reduce((a, f) => a + gzipSync(readFileSync(f), { level: 9 }).length, 0);
    console.log(`dashboard bundle: ${(gz / 1024).toFixed(1)} KB gzipped over ${files(dist).length} files`);
    expect(gz).toBeGreaterThan(10_000); // the app and uPlot are really in it
    expect(gz).toBeLessThan(300 * 1024);
  });

  it('loads nothing from other hosts at run time', () => {
    const html = readFileSync(join(dist, 'index.html'), 'utf8');
    expect(html).toMatch(/<script type="module"[^>]* src="\/assets\/index-[\w-]+\.js"/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const f of files(dist).filter((x) => x.endsWith('.css'))) expect(readFileSync(f, 'utf8')).not.toMatch(/url\((['"]?)(https?:)?\/\//);
  });
});
