import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataRoot } from '../../src/core/paths.js';
import { resolveModel } from '../../src/models/model-repository.js';
import { classifyImage, evalImage } from '../../src/training/image/commands.js';
import { listImageDataset, splitDataset } from '../../src/ingest/image-dataset.js';

describe('eval and classify commands (served ONNX path)', () => {
  let dir: string;
  const picked: Record<string, string[]> = {};
  beforeAll(() => {
    // A tiny class-folder data set of held-out photos, linked (not copied) from the shared data.
    const seed = (resolveModel('animal').manifest.training as { split: { seed: number } }).split.seed;
    const split = splitDataset(listImageDataset(join(dataRoot(), 'animals')).items, { seed });
    dir = mkdtempSync(join(tmpdir(), 'streamlens-eval-'));
    for (const label of ['cat', 'dog', 'fox']) {
      mkdirSync(join(dir, label));
      picked[label] = split.test.filter((i) => i.label === label).slice(2, 5).map((i) => i.file);
      for (const f of picked[label]) symlinkSync(f, join(dir, label, basename(f)));
    }
    writeFileSync(join(dir, 'notes.txt'), 'not an image');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('evalImage reports accuracy, macro F1, per-class scores, confusion and n', async () => {
    const r = await evalImage({ data: dir, print: false });
    expect(r.n).toBe(9);
    expect(r.labels).toEqual(['cat', 'dog', 'fox']);
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(9);
    expect(r.accuracy).toBeGreaterThanOrEqual(7 / 9);
    for (const l of r.labels) {
      expect(r.perClass[l].support).toBe(3);
      expect(r.perClass[l].rocAuc).toBeGreaterThan(0.5);
    }
    expect(r.accuracy).toBeCloseTo(r.confusion.reduce((a, row, i) => a + row[i], 0) / 9, 10);
    expect(r.model.name).toBe('animal');
  });

  it('evalImage refuses a data set whose classes the model does not know', async () => {
    const other = mkdtempSync(join(tmpdir(), 'streamlens-eval-bad-'));
    try {
      for (const l of ['cat', 'horse']) {
        mkdirSync(join(other, l));
        symlinkSync(picked.cat[0], join(other, l, 'x.jpg'));
      }
      await expect(evalImage({ data: other, print: false })).rejects.toThrow(/horse are not labels of model animal/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('classifyImage gives one line per image, with an error line for a bad file', async () => {
    // A held-out fox whose reference output (recorded at training) is known: the served label must match it.
    const ref = (resolveModel('animal').manifest.training as { referencePredictions: Array<{ id: string; label: string; probs: number[] }> }).referencePredictions.find((r) => r.label === 'fox')!;
    const foxFile = join(dataRoot(), 'animals', ref.id);
    const lines = await classifyImage({ files: [foxFile, join(dir, 'notes.txt'), join(dir, 'missing.jpg')], print: false });
    expect(lines).toHaveLength(3);
    const [fox, bad, missing] = lines;
    if (!('label' in fox)) throw new Error(`expected a prediction, got ${JSON.stringify(fox)}`);
    expect(fox.file).toBe(foxFile);
    expect(fox.label).toBe('fox');
    expect(fox.scores.fox).toBeCloseTo(ref.probs[2], 3);
    expect(Object.values(fox.scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    expect(fox.latencyMs).toBeGreaterThan(0);
    expect('error' in bad && bad.error).toMatch(/not an image/);
    expect('error' in missing && missing.error).toMatch(/no such file/);
  });
});
