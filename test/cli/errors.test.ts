import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataRoot } from '../../src/core/paths.js';
import { lines, runCli, STACK_FRAME, tempDir } from './helpers.js';

/**
 * Issue 24 point 1: every CLI error is one line naming the file / field / option and what to do,
 * no stack trace unless --verbose or LOG_LEVEL=debug; exit 0 when every input succeeded, 1 when
 * any failed (the others still processed and printed), 2 for usage errors. The real CLI is spawned
 * on generated bad inputs.
 */
let dir: string;
let wav: string;
let jpg: string;
beforeAll(() => {
  dir = tempDir();
  writeFileSync(join(dir, 'notes.txt'), 'hello, this is not audio nor an image\n');
  writeFileSync(join(dir, 'random.bin'), randomBytes(4096));
  const actor = join(dataRoot(), 'ravdess', 'Actor_01');
  wav = join(actor, readdirSync(actor).filter((f) => f.endsWith('.wav')).sort()[0]);
  writeFileSync(join(dir, 'truncated.wav'), readFileSync(wav).subarray(0, 2000));
  const cats = join(dataRoot(), 'animals', 'cat');
  jpg = join(dir, 'cat.jpg');
  copyFileSync(join(cats, readdirSync(cats).sort()[0]), jpg);
  writeFileSync(join(dir, 'truncated.jpg'), readFileSync(jpg).subarray(0, 300));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectOneLineErrors(stderr: string, count: number): string[] {
  const l = lines(stderr);
  expect(l, stderr).toHaveLength(count);
  expect(stderr).not.toMatch(STACK_FRAME);
  for (const line of l) expect(line).toMatch(/^streamlens: /);
  return l;
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return lines(stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('usage errors: exit code 2, one line naming the option', () => {
  it.each([
    [['classify', 'image', '--bogus', 'x.jpg'], /unknown option '--bogus'; see `streamlens classify image --help`/],
    [['train', 'audio', '--epochs', 'ten'], /option '--epochs <n>' argument 'ten' is invalid\. expected a whole number|expected a number/],
    [['eval', 'audio', '--subset', 'half'], /--subset <which>' argument 'half' is invalid\. expected all or unseen/],
    [['eval', 'audio', '--task', 'age'], /--task <task>' argument 'age' is invalid/],
    [['classify', 'image'], /missing required argument 'files'/],
    [['recommend'], /required option '--query <text>' not specified/],
    [['recommend', '--query', 'python', '--level', 'Grandmaster'], /^streamlens: recommend --level: unknown level; valid levels: All Levels/],
    [['recommend', '--query', 'for the'], /^streamlens: recommend --query: has only common words/],
    [['bench', 'nosuch'], /unknown bench suite "nosuch"/],
  ])('%j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const [line] = expectOneLineErrors(r.stderr, 1);
    expect(line).toMatch(message);
  });
});

describe('classify: bad inputs are error lines, the rest still classified, exit code 1', () => {
  it('classify image on a text file, random bytes, a truncated JPEG, a missing file and a real photo', async () => {
    const inputs = ['notes.txt', 'random.bin', 'truncated.jpg', 'missing.jpg', 'cat.jpg'].map((f) => join(dir, f));
    const r = await runCli(['classify', 'image', ...inputs]);
    expect(r.code, r.stderr).toBe(1);
    const out = jsonLines(r.stdout);
    expect(out.map((o) => o.file)).toEqual(inputs);
    expect(out.slice(0, 4).every((o) => typeof o.error === 'string')).toBe(true);
    expect(out[4]).toMatchObject({ file: inputs[4], label: expect.any(String) });
    const err = expectOneLineErrors(r.stderr, 4);
    expect(err[0]).toMatch(/notes\.txt: not an image .*; give a JPEG, PNG/);
    expect(err[1]).toMatch(/random\.bin: not an image/);
    expect(err[2]).toMatch(/truncated\.jpg: /);
    expect(err[3]).toMatch(/missing\.jpg: no such file; check the path/);
  });

  it('classify image on one good photo exits 0 with nothing on stderr', async () => {
    const r = await runCli(['classify', 'image', jpg]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(jsonLines(r.stdout)).toHaveLength(1);
  });

  it('classify audio takes several inputs: a text file, random bytes, a truncated WAV and a real clip', async () => {
    const inputs = [join(dir, 'notes.txt'), join(dir, 'random.bin'), join(dir, 'truncated.wav'), wav];
    const r = await runCli(['classify', 'audio', ...inputs]);
    expect(r.code, r.stderr).toBe(1);
    const out = jsonLines(r.stdout);
    const errors = out.filter((o) => 'error' in o);
    expect(errors.map((o) => o.input)).toEqual(inputs.slice(0, 3));
    const summary = out.find((o) => o.summary === true);
    expect(summary).toMatchObject({ input: wav, label: expect.any(String) });
    const err = expectOneLineErrors(r.stderr, 3);
    expect(err[0]).toMatch(/notes\.txt: not audio that ffmpeg can decode .*; give a WAV, MP3/);
    expect(err[1]).toMatch(/random\.bin: not audio that ffmpeg can decode/);
    expect(err[2]).toMatch(/truncated\.wav: only 0\.\d+ s of audio; a feature window needs at least/);
  });

  it('classify course on a text file and on random bytes: one line each, nothing on stdout', async () => {
    for (const f of ['notes.txt', 'random.bin']) {
      const r = await runCli(['classify', 'course', join(dir, f)]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      const [line] = expectOneLineErrors(r.stderr, 1);
      expect(line).toContain(f);
      expect(line).toMatch(/give a CSV with a header row/);
    }
  });

  it('a missing file is named with what to do; --verbose adds the stack trace', async () => {
    const missing = join(dir, 'nope.csv');
    const r = await runCli(['classify', 'course', missing]);
    expect(r.code).toBe(1);
    expect(expectOneLineErrors(r.stderr, 1)[0]).toBe(`streamlens: ${missing}: no such file or folder; check the path`);
    const v = await runCli(['classify', 'course', missing, '--verbose']);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(STACK_FRAME);
    const d = await runCli(['classify', 'course', missing], { env: { LOG_LEVEL: 'debug' } });
    expect(d.stderr).toMatch(STACK_FRAME);
  });
});

describe('config: a config file that cannot be read is one line naming it and what to do', () => {
  it('a missing file and a folder', async () => {
    const missing = join(dir, 'nope.yaml');
    const r = await runCli(['config', missing]);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stdout).toBe('');
    const [line] = expectOneLineErrors(r.stderr, 1);
    expect(line).toBe(`streamlens: cannot read config ${missing}: no such file; pass the path of an existing YAML or JSON config file (see streamlens.example.yaml)`);
    expect(line).not.toMatch(/ENOENT/);
    const f = await runCli(['config', dir]);
    expect(f.code).not.toBe(0);
    expect(expectOneLineErrors(f.stderr, 1)[0]).toMatch(/it is a folder; pass the config file inside it$/);
  });
});
