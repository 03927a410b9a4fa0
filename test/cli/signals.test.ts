import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';
import { tempDir, userEnv } from './helpers.js';

/**
 * Issue 24 point 4: stopping `npm start` by npm's process id stops the server. The start script
 * `exec`s node, so the signal npm forwards reaches the server itself (not a shell that dies and
 * orphans it); the server drains and exits, closing its port.
 */
const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const hasNpm = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status === 0;

describe('npm start', () => {
  it.skipIf(!hasNpm)('SIGTERM to the npm process stops the node server: it drains, exits and its port closes', async () => {
    const npm = spawn('npm', ['start', '--', '--port', '0', '--no-demo', '--stages', 'none'], {
      cwd: repoRoot,
      env: userEnv({ STREAMLENS_CACHE: join(dir, 'cache') }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    npm.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => npm.on('exit', (code) => r(code)));
    let children: number[] = [];
    try {
      await until(() => /dashboard at (http:\/\/[\d.:]+)/.test(stderr), 90_000, `the server to start (stderr: ${stderr.slice(-500)})`);
      const url = /dashboard at (http:\/\/[\d.:]+)/.exec(stderr)![1];
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(npm.pid)], { encoding: 'utf8' })
        .split('\n')
        .map((s) => Number(s.trim()))
        .filter((n) => n > 0);
      expect(children.length).toBeGreaterThan(0);

      process.kill(npm.pid!, 'SIGTERM');
      await exited;
      await until(() => children.every((pid) => !alive(pid)), 30_000, 'the node server to exit');
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
      expect(stderr).toMatch(/SIGTERM: draining in-flight work and stopping/);
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
      for (const pid of children) if (alive(pid)) process.kill(pid, 'SIGKILL'); // never leave a server behind
    }
  });
});
