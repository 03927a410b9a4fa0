import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/app.js';
import type { Headers } from '../../src/bus/bus.js';
import { parseConfig } from '../../src/core/config.js';
import { repoRoot } from '../../src/core/paths.js';
import { confineSourcePath, defaultSourceDirs, sourceRoots } from '../../src/core/source-paths.js';

/**
 * File sources read only inside sources.allowedDirs: path traversal and symbolic links that lead
 * out are refused with a clear error; a file inside that is not what the source expects (a copy of
 * a passwd file) never shows up in errors or dead-letter headers beyond a short escaped excerpt.
 */
const PASSWD = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n';

let base: string;
let allowed: string;
let outside: string;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'streamlens-confine-')));
  allowed = join(base, 'allowed');
  outside = join(base, 'outside');
  mkdirSync(join(allowed, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(allowed, 'ok.csv'), 'course_id,course_title\n');
  writeFileSync(join(outside, 'secret.csv'), PASSWD);
  symlinkSync(join(outside, 'secret.csv'), join(allowed, 'link.csv'));
  symlinkSync(outside, join(allowed, 'escape'));
  symlinkSync(allowed, join(base, 'allowed-link'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('confineSourcePath', () => {
  it('accepts files inside an allowed directory and returns their real path', () => {
    const roots = sourceRoots([allowed]);
    expect(confineSourcePath(join(allowed, 'ok.csv'), roots)).toBe(join(allowed, 'ok.csv'));
    expect(confineSourcePath(join(allowed, 'sub', '..', 'ok.csv'), roots)).toBe(join(allowed, 'ok.csv'));
    // The allowed directory may itself be a link: what is inside its target is inside.
    expect(confineSourcePath(join(base, 'allowed-link', 'ok.csv'), sourceRoots([join(base, 'allowed-link')]))).toBe(join(allowed, 'ok.csv'));
  });

  it('refuses traversal out of the directory, absolute paths elsewhere and missing files, naming the field', () => {
    const roots = sourceRoots([allowed]);
    expect(() => confineSourcePath(join(allowed, '../../../../etc/passwd'), roots)).toThrow(/^source\.path: ".*etc\/passwd" is outside the directories streams may read \(sources\.allowedDirs: /);
    expect(() => confineSourcePath('../../../../etc/passwd', roots)).toThrow(/is outside the directories streams may read/);
    expect(() => confineSourcePath('/etc/passwd', roots)).toThrow(/is outside the directories streams may read/);
    expect(() => confineSourcePath(join(outside, 'secret.csv'), roots)).toThrow(/is outside/);
    expect(() => confineSourcePath(`${allowed}-other/x.csv`, roots)).toThrow(/is outside/); // a sibling that shares the prefix
    expect(() => confineSourcePath(join(allowed, 'none.csv'), roots)).toThrow(/none\.csv" does not exist$/);
    expect(() => confineSourcePath(join(allowed, 'a\0b'), roots)).toThrow(/NUL byte/);
  });

  it('refuses symbolic links that lead out (to a file or through a linked folder)', () => {
    const roots = sourceRoots([allowed]);
    expect(() => confineSourcePath(join(allowed, 'link.csv'), roots)).toThrow(/leads outside the directories streams may read through a symbolic link/);
    expect(() => confineSourcePath(join(allowed, 'escape', 'secret.csv'), roots)).toThrow(/through a symbolic link/);
  });

  it('defaults to the data directory and the demo assets', () => {
    expect(defaultSourceDirs()).toEqual(expect.arrayContaining([join(repoRoot, 'assets', 'demo')]));
    expect(parseConfig({}).sources.allowedDirs).toBeUndefined(); // resolved at start: STREAMLENS_SOURCE_DIRS or the defaults
    expect(() => parseConfig({ sources: { allowedDirs: [] } })).toThrow(/sources\.allowedDirs/);
  });
});

describe('the real app through its REST API (loopback, no token)', () => {
  let app: App;
  let url: string;
  beforeAll(async () => {
    writeFileSync(join(allowed, 'passwd-copy.csv'), PASSWD);
    writeFileSync(join(allowed, 'passwd-copy.jsonl'), PASSWD);
    mkdirSync(join(allowed, 'photos'));
    copyFileSync(join(repoRoot, 'assets', 'demo', 'speech-1.wav'), join(allowed, 'photos', 'not-a-photo.wav'));
    symlinkSync(join(outside, 'secret.csv'), join(allowed, 'photos', 'a.jpg'));
    app = await createApp(parseConfig({ gateway: { port: 0 }, sources: { allowedDirs: [allowed] } }), { stages: ['features:course'], demo: false });
    await app.start();
    url = app.url!;
  });
  afterAll(async () => {
    await app?.stop();
  });

  const post = async (body: unknown) => {
    const r = await fetch(`${url}/api/streams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: r.status, text: await r.text() };
  };
  const streamOf = async (id: string) => ((await (await fetch(`${url}/api/streams/${id}`)).json()) as { stream: { status: string; error?: string; source: { path?: string } } }).stream;
  const until = async (id: string, done: (s: { status: string }) => boolean) => {
    const deadline = Date.now() + 20_000;
    let s = await streamOf(id);
    while (!done(s) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      s = await streamOf(id);
    }
    return s;
  };

  it('POST /api/streams refuses ../../../../etc/passwd, an absolute path outside and a link that leads out, with a clear 400', async () => {
    const rel = relative(process.cwd(), join(allowed, '../../../../../../../../etc/passwd'));
    for (const [path, why] of [
      ['../../../../etc/passwd', /is outside the directories streams may read/],
      [rel, /is outside/],
      ['/etc/passwd', /is outside/],
      [join(allowed, 'link.csv'), /through a symbolic link/],
      [join(allowed, 'escape', 'secret.csv'), /through a symbolic link/],
    ] as const) {
      for (const kind of ['csv', 'jsonl', 'audio-file', 'video-file', 'images']) {
        const r = await post({ id: `t-${kind}`, source: { kind, path } });
        expect(r.status, `${kind} ${path}: ${r.text}`).toBe(400);
        expect(JSON.parse(r.text).error).toMatch(why);
        expect(r.text).not.toContain('root:x');
      }
    }
    expect((await fetch(`${url}/api/streams`).then((r) => r.json())).streams).toEqual([]);
  });

  it('refuses URL sources that read local files (file:, ffmpeg pseudo-protocols) and cameras that are not devices', async () => {
    for (const source of [
      { kind: 'audio-url', url: 'file:///etc/passwd' },
      { kind: 'video-url', url: 'file:///etc/passwd' },
      { kind: 'video-url', url: 'concat:/etc/passwd|/etc/hosts' },
      { kind: 'audio-url', url: 'subfile:,,start,0,end,0,:/etc/passwd' },
      { kind: 'camera', device: '/etc/passwd' },
      { kind: 'camera', device: '/dev/../etc/passwd' },
    ]) {
      const r = await post({ id: 'u1', source });
      expect(r.status, JSON.stringify(source)).toBe(400);
      expect(JSON.parse(r.text).error).toMatch(/source\.(url|device)/);
    }
  });

  it('an image folder inside with a link that leads out fails the stream with a clear error, reading nothing', async () => {
    expect((await post({ id: 'photos', source: { kind: 'images', path: join(allowed, 'photos') } })).status).toBe(201);
    const s = await until('photos', (x) => x.status === 'error');
    expect(s.status).toBe('error');
    expect(s.error).toMatch(/a\.jpg" leads outside the directories streams may read through a symbolic link/);
    expect(s.source.path).toBe('allowed/photos'); // the list shows paths relative to their allowed directory
  });

  it('a file inside that is not a course file: the error and every dead-letter header hold no line of it', async () => {
    const dlq: Headers[] = [];
    const consumer = app.context.bus.consumer({ groupId: 'confine-test-dlq', topics: ['courses.raw.dlq'], fromBeginning: true });
    await consumer.run(async (batch) => {
      for (const m of batch.messages) dlq.push(m.headers);
    });
    try {
      expect((await post({ id: 'pw-csv', source: { kind: 'csv', path: join(allowed, 'passwd-copy.csv') } })).status).toBe(201);
      expect((await post({ id: 'pw-jsonl', source: { kind: 'jsonl', path: join(allowed, 'passwd-copy.jsonl') } })).status).toBe(201);
      const csv = await until('pw-csv', (x) => x.status === 'error' || x.status === 'ended');
      expect(csv.status).toBe('error');
      expect(csv.error).toMatch(/course CSV header is missing the column\(s\) course_id, course_title, .* \(the first line has 1 field\(s\)\)/);
      await until('pw-jsonl', (x) => x.status === 'ended');
      const deadline = Date.now() + 10_000;
      while (dlq.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(dlq.length).toBeGreaterThanOrEqual(3); // the CSV header + 2 JSON lines
      const headers = JSON.stringify(dlq);
      for (const piece of ['root:x', ':0:0:', 'daemon:x', '/bin/bash', 'nologin']) expect(headers).not.toContain(piece);
      expect(dlq.map((h) => h['dlq.error'])).toEqual(expect.arrayContaining(['line 1: invalid JSON (unexpected character "r")', 'line 2: invalid JSON (unexpected character "d")']));
      const list = await (await fetch(`${url}/api/streams`)).text();
      for (const piece of ['root:x', ':0:0:', 'daemon:x']) expect(list).not.toContain(piece);
    } finally {
      await consumer.stop();
    }
  });
});
