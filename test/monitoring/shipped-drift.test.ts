import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { repoRoot, requireDataPath } from '../../src/core/paths.js';
import { listModels, readVersion, resolveModel } from '../../src/models/model-repository.js';
import { detectDrift } from '../../src/monitoring/detect.js';
import { loadReference, shippedBatch, shippedSplits } from '../../src/monitoring/shipped.js';
import { loadCourseDataset } from '../../src/features/course/course-dataset.js';

/**
 * The shipped models' training references against real held-out data (../shared/data): clean
 * held-out data raises no drift, shifted data does (audio gain and noise, darker and blurred photos,
 * course prices and durations scaled).
 */
const names = (r: ReturnType<typeof detectDrift>) => r.features.filter((f) => f.drift).map((f) => f.name);

describe('shipped references', () => {
  it('every shipped version has a small reference.json, listed and hashed in its manifest', () => {
    for (const name of listModels()) {
      const v = readVersion(resolveModel(name).dir);
      expect(v.manifest.files.reference).toBe('reference.json');
      const ref = loadReference(v)!;
      // Image references also hold the embedding summary (8 vectors of 512: mean, 4 components, 3 class means).
      expect(statSync(join(v.dir, 'reference.json')).size).toBeLessThan((ref.embedding ? 64 : 16) * 1024);
      expect(ref.model).toBe(name);
      expect(ref.outputs?.labels).toEqual(v.manifest.labels);
    }
  });
});

describe('course drift on the held-out split', () => {
  const v = resolveModel('course');
  const ref = loadReference(v)!;
  it('clean held-out records: no drift', async () => {
    const b = await shippedBatch(v, 'heldOut');
    const r = detectDrift(ref, b.observations, b.predictions);
    expect(names(r)).toEqual([]);
    expect(r.drift).toBe(false);
  });
  it('prices and durations doubled: exactly those two drift', async () => {
    const b = await shippedBatch(v, 'heldOut', { transformCourse: (c) => ({ ...c, price: c.price * 2, contentDurationHours: c.contentDurationHours * 2 }) });
    const r = detectDrift(ref, b.observations, b.predictions);
    expect(names(r).sort()).toEqual(['content_duration', 'price']);
  });
});

describe('audio (emotion) drift on the held-out repetition', () => {
  const v = resolveModel('emotion');
  const ref = loadReference(v)!;
  it('clean: no drift', async () => {
    const b = await shippedBatch(v, 'heldOut');
    expect(detectDrift(ref, b.observations, b.predictions).drift).toBe(false);
  }, 60_000);
  it('12 dB quieter: loudness drifts', async () => {
    const b = await shippedBatch(v, 'heldOut', { transformPcm: (p) => p.map((x) => Math.round(x * 0.25)), predict: false });
    expect(names(detectDrift(ref, b.observations))).toContain('rms_db');
  }, 60_000);
  it('added white noise: band spreads and loudness drift', async () => {
    let s = 7;
    const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
    // Uniform noise of ±1000 (about -35 dBFS). At ±600 the labels moved less (PSI 0.24, below 0.25) once the
    // voiced voice-activity detector left the noisiest windows out as silence; the features still drifted.
    const b = await shippedBatch(v, 'heldOut', { transformPcm: (p) => p.map((x) => Math.max(-32768, Math.min(32767, x + Math.round((rnd() - 0.5) * 2000)))) });
    const r = detectDrift(ref, b.observations, b.predictions);
    expect(names(r)).toEqual(expect.arrayContaining(['rms_db', 'band3_spread']));
    expect(r.predictions?.drift).toBe(true);
  }, 60_000);
});

describe('image (animal) drift on the held-out test split', () => {
  const v = resolveModel('animal');
  const ref = loadReference(v)!;
  it('clean: no drift', async () => {
    const b = await shippedBatch(v, 'heldOut');
    expect(names(detectDrift(ref, b.observations, b.predictions))).toEqual([]);
  }, 120_000);
  it('darker photos (half the brightness): brightness drifts', async () => {
    const b = await shippedBatch(v, 'heldOut', { transformRgb: (rgb) => Buffer.from(rgb.map((x) => x >> 1)), predict: false });
    expect(names(detectDrift(ref, b.observations))).toEqual(expect.arrayContaining(['brightness', 'contrast']));
  }, 120_000);
  it('blurred photos (3x3 box blur, twice): sharpness drifts', async () => {
    const blur = (rgb: Buffer, w: number, h: number): Buffer => {
      const out = Buffer.from(rgb);
      for (let y = 1; y < h - 1; y++)
        for (let x = 1; x < w - 1; x++)
          for (let c = 0; c < 3; c++) {
            let s = 0;
            for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += rgb[((y + dy) * w + x + dx) * 3 + c];
            out[(y * w + x) * 3 + c] = Math.round(s / 9);
          }
      return out;
    };
    const b = await shippedBatch(v, 'heldOut', { transformRgb: (rgb, w, h) => blur(blur(rgb, w, h), w, h), predict: false });
    expect(names(detectDrift(ref, b.observations))).toContain('sharpness');
  }, 120_000);
  it('clean: the backbone-embedding features are among those tested, and none drifts', async () => {
    const b = await shippedBatch(v, 'heldOut', { predict: false });
    const r = detectDrift(ref, b.observations);
    const emb = r.features.filter((f) => f.name.startsWith('emb_'));
    expect(emb.map((f) => f.name)).toEqual(['emb_pc1', 'emb_pc2', 'emb_pc3', 'emb_pc4', 'emb_class_distance']);
    expect(emb.every((f) => f.batch.n === 203 && !f.drift)).toBe(true);
  }, 120_000);
  it('upside-down photos: pixel statistics cannot see it (same pixels), the backbone embedding drifts', async () => {
    const flip = (rgb: Buffer, w: number, h: number): Buffer => {
      const out = Buffer.alloc(rgb.length);
      for (let y = 0; y < h; y++) out.set(rgb.subarray((h - 1 - y) * w * 3, (h - y) * w * 3), y * w * 3);
      return out;
    };
    const b = await shippedBatch(v, 'heldOut', { transformRgb: flip, predict: false });
    const drifting = names(detectDrift(ref, b.observations));
    expect(drifting.length).toBeGreaterThan(0);
    expect(drifting.every((n) => n.startsWith('emb_'))).toBe(true);
    expect(drifting).toContain('emb_pc1');
  }, 120_000);
  it('grey photos: saturation and the embedding drift', async () => {
    const grey = (rgb: Buffer): Buffer => {
      const out = Buffer.from(rgb);
      for (let i = 0; i < rgb.length; i += 3) out[i] = out[i + 1] = out[i + 2] = Math.round(0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2]);
      return out;
    };
    const b = await shippedBatch(v, 'heldOut', { transformRgb: grey, predict: false });
    expect(names(detectDrift(ref, b.observations))).toEqual(expect.arrayContaining(['saturation', 'emb_pc1']));
  }, 120_000);
});

describe('streamlens monitor (command line)', () => {
  const run = promisify(execFile);
  const dir = mkdtempSync(join(tmpdir(), 'monitor-'));
  // Held-out course rows as a CSV, clean and with prices and durations scaled.
  const csv = requireDataPath('udemy/udemy_courses.csv', 'Udemy courses CSV');
  const rows = parse(readFileSync(csv, 'utf8')) as string[][];
  const header = rows[0];
  const v = resolveModel('course');
  const ds = loadCourseDataset(csv, { referenceDate: (v.manifest.features.settings as { referenceDate: string }).referenceDate });
  const heldOut = (shippedSplits(v).heldOut as number[]).map((i) => rows[ds.rowIndex[i] + 1]);
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const write = (file: string, body: string[][]) => writeFileSync(file, [header, ...body].map((r) => r.map(q).join(',')).join('\n') + '\n');
  const price = header.indexOf('price');
  const duration = header.indexOf('content_duration');
  write(join(dir, 'clean.csv'), heldOut);
  write(
    join(dir, 'shifted.csv'),
    heldOut.map((r) => r.map((x, i) => (i === price && /^\d/.test(x) ? String(Number(x) * 2) : i === duration ? String(Number.parseFloat(x) * 2) : x))),
  );
  const monitor = async (file: string, out?: string) => {
    const args = [join(repoRoot, 'bin/streamlens.mjs'), 'monitor', 'course', '--data', file, ...(out ? ['--out', out] : [])];
    const { stdout } = await run(process.execPath, args, { env: { ...process.env, LOG_LEVEL: 'warn' } });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    return JSON.parse(lines[0]);
  };
  it('clean held-out CSV: one JSON object, drift false', async () => {
    const r = await monitor(join(dir, 'clean.csv'));
    expect(r.drift).toBe(false);
    expect(r.features[0]).toEqual(expect.objectContaining({ name: expect.any(String), statistic: 'psi', score: expect.any(Number), threshold: 0.25, drift: false }));
    expect(r.predictions.drift).toBe(false);
  }, 60_000);
  it('scaled prices and durations: drift true, and --out writes the HTML report with their charts', async () => {
    const out = join(dir, 'report');
    const r = await monitor(join(dir, 'shifted.csv'), out);
    expect(r.drift).toBe(true);
    expect(r.features.filter((f: { drift: boolean }) => f.drift).map((f: { name: string }) => f.name).sort()).toEqual(['content_duration', 'price']);
    const html = readFileSync(join(out, 'monitor-report.html'), 'utf8');
    expect(html).toContain('<h3>price</h3>');
    expect(html).toContain('<h3>content_duration</h3>');
    expect(html).not.toContain('<h3>level</h3>');
  }, 60_000);
});

describe('streamlens monitor image (command line): backbone-embedding features', () => {
  const run = promisify(execFile);
  const v = resolveModel('animal');
  const photos = shippedSplits(v).heldOut as string[];
  const monitor = async (dir: string) => {
    const { stdout } = await run(process.execPath, [join(repoRoot, 'bin/streamlens.mjs'), 'monitor', 'image', '--data', dir], { env: { ...process.env, LOG_LEVEL: 'warn' } });
    return JSON.parse(stdout) as { drift: boolean; features: { name: string; drift: boolean }[] };
  };
  it('clean held-out photos: emb_* features reported, no drift; the same photos upside down: only emb_* features drift', async () => {
    const clean = mkdtempSync(join(tmpdir(), 'monitor-photos-'));
    const flipped = mkdtempSync(join(tmpdir(), 'monitor-flipped-'));
    // Links to the held-out photos (no copy of the data), and upside-down renderings of them.
    photos.forEach((f, i) => symlinkSync(f, join(clean, `${i}${extname(f)}`)));
    await Promise.all(photos.map((f, i) => sharp(f).flip().png().toFile(join(flipped, `${i}.png`))));
    const c = await monitor(clean);
    expect(c.features.filter((f) => f.name.startsWith('emb_')).map((f) => f.name)).toEqual(['emb_pc1', 'emb_pc2', 'emb_pc3', 'emb_pc4', 'emb_class_distance']);
    expect(c.drift).toBe(false);
    const f = await monitor(flipped);
    const drifting = f.features.filter((x) => x.drift).map((x) => x.name);
    expect(drifting).toContain('emb_pc1');
    expect(drifting.every((n) => n.startsWith('emb_'))).toBe(true);
  }, 180_000);
});

