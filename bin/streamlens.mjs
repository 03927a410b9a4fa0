#!/usr/bin/env node
// Entry point. Runs the compiled CLI (dist/src/cli.js, built by `npm run build`, which `npm install` runs
// through prepare). STREAMLENS_DEV=1 runs the TypeScript sources through tsx instead (development and the
// tests; tsx is a development dependency).
import { existsSync } from 'node:fs';

if (process.env.STREAMLENS_DEV === '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
} else {
  const compiled = new URL('../dist/src/cli.js', import.meta.url);
  if (!existsSync(compiled)) {
    process.stderr.write('streamlens: not built: no dist/src/cli.js; run `npm run build` (npm install does it), or set STREAMLENS_DEV=1 to run the sources\n');
    process.exit(1);
  }
  await import(compiled.href);
}
