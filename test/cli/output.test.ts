import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataRoot } from '../../src/core/paths.js';
import { CLI, lines, runCli, STACK_FRAME, tempDir, userEnv } from './helpers.js';

/**
 * Issue 24 points 2-4 and 4c through the real CLI: one JSON document (or JSON lines) on stdout and
 * logs never there; one-shot commands leave no state behind and `recommend` answers from the course
 * data, saying which catalogue; logs human-readable in a terminal, JSON otherwise.
 */
let dir: string;
let cache: string;
const csvPath = () => join(dataRoot(), 'udemy', 'udemy_courses.csv');

/** A small course CSV: the header and `n` data rows of the shared one (rows kept whole: titles may hold commas and quotes). */
function courseCsv(n: number, extraRows: string[] = []): string {
  const text = readFileSync(csvPath(), 'utf8');
  const rows = text.split('\n');
  return [rows[0], ...rows.slice(1, 1 + n), ...extraRows].join('\n') + '\n';
}

beforeAll(() => {
  dir = tempDir();
  cache = join(dir, 'cache');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('recommend', () => {
  it('prints exactly one JSON document naming its catalogue; stop words neither match nor show; popularity is a percentile with subscribers', async () => {
    const r = await runCli(['recommend', '--query', 'python for data science', '--limit', '5'], { env: { STREAMLENS_CACHE: cache } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout); // the whole of stdout is one document
    expect(doc.catalogue).toMatchObject({ source: 'csv', path: csvPath(), size: 2938, live: false });
    expect(typeof doc.catalogue.ageSeconds).toBe('number');
    expect(Date.parse(doc.catalogue.updatedAt)).toBeGreaterThan(0);
    expect(doc.results).toHaveLength(5);
    for (const x of doc.results) {
      expect(x.matchingTerms).not.toContain('for');
      expect(x.reasons.join(' ')).not.toMatch(/"for"/);
      expect(x.popularity.percentile).toBeGreaterThanOrEqual(0);
      expect(x.popularity.percentile).toBeLessThanOrEqual(100);
      expect(x.popularity.subscribers).toBe(x.numSubscribers);
      expect(x.reasons.some((s: string) => /^popularity: \d+(st|nd|rd|th) percentile of the 2,938 courses, [\d,]+ subscribers/.test(s))).toBe(true);
    }
    // a one-shot command leaves nothing behind
    expect(existsSync(cache) ? readdirSync(cache) : []).toEqual([]);
  });

  it('classify course on a 9-row file does not touch the catalogue recommend answers from', async () => {
    const nine = join(dir, 'nine.csv');
    writeFileSync(nine, courseCsv(7, ['1,Broken course,https://x,True,abc,1,1,1,All Levels,1,2017-01-01T00:00:00Z,Business Finance', '2,,https://y,True,20,1,1,1,All Levels,1,2017-01-01T00:00:00Z,Business Finance']));
    const c = await runCli(['classify', 'course', nine], { env: { STREAMLENS_CACHE: cache } });
    expect(c.code, c.stderr).toBe(1); // two invalid records
    const out = lines(c.stdout).map((l) => JSON.parse(l));
    expect(out).toHaveLength(9);
    expect(out.filter((o) => o.error)).toHaveLength(2);
    expect(lines(c.stderr)).toHaveLength(1);
    expect(c.stderr).toMatch(/^streamlens: classify course: 2 of the 9 records in .*nine\.csv are invalid/);

    const r = await runCli(['recommend', '--query', 'JavaScript and React', '--limit', '3'], { env: { STREAMLENS_CACHE: cache } });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.catalogue.size).toBe(2938);
    expect(doc.subjectGuess.subject).toBe('Web Development');
    expect(doc.results[0].matchingTerms).toEqual(expect.arrayContaining(['react']));
  });

  it('--catalogue FILE: built from --data into the file once, then answered from it (source snapshot)', async () => {
    const small = join(dir, 'small.csv');
    writeFileSync(small, courseCsv(300));
    const snap = join(dir, 'snap', 'catalogue.jsonl');
    const first = await runCli(['recommend', '--query', 'stock trading', '--data', small, '--catalogue', snap]);
    expect(first.code, first.stderr).toBe(0);
    const a = JSON.parse(first.stdout);
    expect(a.catalogue).toMatchObject({ source: 'snapshot', path: snap });
    expect(lines(readFileSync(snap, 'utf8'))).toHaveLength(a.catalogue.size);
    rmSync(small);
    const second = await runCli(['recommend', '--query', 'stock trading', '--catalogue', snap]);
    expect(second.code, second.stderr).toBe(0);
    const b = JSON.parse(second.stdout);
    expect(b.catalogue).toMatchObject({ source: 'snapshot', path: snap, size: a.catalogue.size });
    expect(b.results.map((x: { courseId: string }) => x.courseId)).toEqual(a.results.map((x: { courseId: string }) => x.courseId));
  });
});

describe('reports go to --out, a one-line summary to stdout', () => {
  it('analyze speech: one small JSON line naming the files, the statistics in the files', async () => {
    const data = join(dir, 'speech');
    mkdirSync(data);
    for (const actor of ['Actor_01', 'Actor_02', 'Actor_03', 'Actor_04']) {
      const d = join(dataRoot(), 'ravdess', actor);
      for (const f of readdirSync(d).filter((x) => x.endsWith('.wav')).sort().slice(0, 2)) symlinkSync(join(d, f), join(data, f));
    }
    const out = join(dir, 'speech-report');
    const r = await runCli(['analyze', 'speech', '--data', data, '--out', out], { env: { STREAMLENS_CACHE: cache } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(lines(r.stdout)).toHaveLength(1);
    expect(r.stdout.length).toBeLessThan(2000);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ report: join(out, 'report.html'), clips: 8, speakers: 4, coefficients: expect.any(Number) });
    expect(JSON.parse(readFileSync(summary.files.statistics, 'utf8')).clipLevel.coefficients.length).toBe(summary.coefficients);
  });
});

describe('logs', () => {
  const photo = () => {
    const cats = join(dataRoot(), 'animals', 'cat');
    return join(cats, readdirSync(cats).sort()[0]);
  };

  it('not a terminal: JSON log lines on stderr (LOG_LEVEL=info), stdout only the JSON line of the result', async () => {
    const r = await runCli(['classify', 'image', photo()], { env: { LOG_LEVEL: 'info' } });
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ label: expect.any(String) });
    const logs = lines(r.stderr);
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) expect(JSON.parse(l)).toMatchObject({ level: expect.any(Number), msg: expect.any(String) });
  });

  it('LOG_FORMAT=pretty: human-readable lines', async () => {
    const r = await runCli(['classify', 'image', photo()], { env: { LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}onnx: model loaded model=animal version=\d+/m);
    expect(r.stderr).not.toMatch(/"level":/);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('in a terminal (a pseudo-TTY via script(1)): human-readable by default', () => {
    const stderr = execFileSync('script', ['-qec', `LOG_LEVEL=info ${process.execPath} ${CLI} classify image ${photo()} 2>&1 >/dev/null`, '/dev/null'], {
      env: userEnv(),
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(stderr).toMatch(/INFO {2}onnx: model loaded/);
    expect(stderr).not.toMatch(/"level":/);
  });

  it('one-shot commands print warnings and errors only by default: nothing on stderr for a good input', async () => {
    const r = await runCli(['models', 'list', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(Array.isArray(JSON.parse(r.stdout))).toBe(true);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });
});
