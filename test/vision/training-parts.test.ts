import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataRoot } from '../../src/core/paths.js';
import { parseImageFeatureSettings } from '../../src/features/image/settings.js';
import { augmentedRgb, drawAugment, FLIP_ONLY } from '../../src/training/image/augment.js';
import { decodeResizedRgb } from '../../src/features/image/preprocess.js';
import { createRng } from '../../src/training/seeding.js';
import { listImageDataset, splitDataset } from '../../src/ingest/image-dataset.js';
import { calibrateUnknownThreshold } from '../../src/training/image/unknown-threshold.js';
import {
  checkDarknetClassMapping,
  DARKNET_CAT_CLASSES,
  DARKNET_DOG_CLASSES,
  DARKNET_FOX_CLASSES,
  readDarknetClassNames,
  zeroShotScores,
} from '../../src/training/image/zero-shot-classes.js';
import { animalPhoto } from './helpers.js';

describe('zero-shot class mapping onto Darknet-Tiny', () => {
  const names = readDarknetClassNames();

  it('lists indices that name the right classes in darknet_classes.json', () => {
    expect(() => checkDarknetClassMapping(names)).not.toThrow();
    expect(DARKNET_CAT_CLASSES.map(([, n]) => n).sort()).toEqual(['Egyptian cat', 'Persian cat', 'Siamese cat', 'tabby', 'tiger cat']);
    expect(DARKNET_FOX_CLASSES.map(([, n]) => n).sort()).toEqual(['Arctic fox', 'grey fox', 'kit fox', 'red fox']);
    expect(DARKNET_DOG_CLASSES).toHaveLength(118);
    const all = [...DARKNET_CAT_CLASSES, ...DARKNET_DOG_CLASSES, ...DARKNET_FOX_CLASSES].map(([i]) => i);
    expect(new Set(all).size).toBe(all.length);
    // Look-alikes that must not count: wild cats, fox squirrel, the fox terrier is a dog.
    for (const n of ['cougar', 'lynx', 'Madagascar cat', 'fox squirrel']) expect(all).not.toContain(names.indexOf(n));
    expect(DARKNET_DOG_CLASSES.map(([i]) => i)).toContain(names.indexOf('wire-haired fox terrier'));
    expect(DARKNET_DOG_CLASSES.map(([i]) => i)).toContain(names.indexOf('Chihuahua'));
  });

  it('detects a class file in another order', () => {
    const shuffled = [...names].reverse();
    expect(() => checkDarknetClassMapping(shuffled)).toThrow(/should be/);
  });

  it('sums softmax probabilities over each group', () => {
    const logits = new Float32Array(2000).fill(-20);
    logits[names.indexOf('tabby')] = 5;
    logits[names.indexOf('Siamese cat')] = 5;
    logits[1000 + names.indexOf('red fox')] = 3;
    logits[1000 + names.indexOf('beagle')] = 3;
    const [a, b] = zeroShotScores(logits, 2);
    expect(a.cat).toBeCloseTo(1, 5);
    expect(a.dog + a.fox).toBeLessThan(1e-6);
    expect(b.fox).toBeCloseTo(0.5, 5);
    expect(b.dog).toBeCloseTo(0.5, 5);
  });
});

describe('held-out split', () => {
  it('is stratified, disjoint, complete and reproducible by seed', () => {
    const ds = listImageDataset(join(dataRoot(), 'animals'));
    expect(ds.labels).toEqual(['cat', 'dog', 'fox']);
    const a = splitDataset(ds.items, { seed: 42 });
    const b = splitDataset(ds.items, { seed: 42 });
    const c = splitDataset(ds.items, { seed: 43 });
    expect(a.test.map((i) => i.id)).toEqual(b.test.map((i) => i.id));
    expect(a.test.map((i) => i.id)).not.toEqual(c.test.map((i) => i.id));
    const ids = [...a.train, ...a.validation, ...a.test].map((i) => i.id);
    expect(new Set(ids).size).toBe(ds.items.length);
    for (const l of ds.labels) {
      const total = ds.items.filter((i) => i.label === l).length;
      expect(Math.abs(a.test.filter((i) => i.label === l).length - 0.2 * total)).toBeLessThanOrEqual(1);
    }
  });
});

describe('augmentation', () => {
  const s = parseImageFeatureSettings({ width: 48, height: 48 });
  it('is reproducible per draw and changes the image', async () => {
    const bytes = readFileSync(animalPhoto('dog', 3));
    const d = drawAugment(createRng(5));
    const x1 = await augmentedRgb(bytes, s, d);
    const x2 = await augmentedRgb(bytes, s, d);
    expect(x1.equals(x2)).toBe(true);
    expect(x1.length).toBe(48 * 48 * 3);
    const plain = (await decodeResizedRgb(bytes, s)).rgb;
    expect(x1.equals(plain)).toBe(false);
  });
  it('mirrors exactly with the flip-only draw', async () => {
    const bytes = readFileSync(animalPhoto('cat', 4));
    const flipped = await augmentedRgb(bytes, s, FLIP_ONLY);
    const plain = (await decodeResizedRgb(bytes, s)).rgb;
    // (the plain path may decode with JPEG shrink-on-load, so pixels differ slightly: compare means)
    let mirrored = 0;
    let same = 0;
    for (let y = 0; y < 48; y++)
      for (let x = 0; x < 48; x++)
        for (let c = 0; c < 3; c++) {
          mirrored += Math.abs(flipped[(y * 48 + x) * 3 + c] - plain[(y * 48 + 47 - x) * 3 + c]);
          same += Math.abs(flipped[(y * 48 + x) * 3 + c] - plain[(y * 48 + x) * 3 + c]);
        }
    expect(mirrored / flipped.length).toBeLessThan(4);
    expect(same / flipped.length).toBeGreaterThan(3 * (mirrored / flipped.length));
  });
});

describe('unknown threshold calibration', () => {
  it('is the largest threshold keeping >= 99% of validation answered', () => {
    const probs = Array.from({ length: 200 }, (_, i) => 0.4 + (0.6 * i) / 199);
    const c = calibrateUnknownThreshold(probs, { keepAnswered: 0.99 });
    expect(c.answered).toBeGreaterThanOrEqual(0.99);
    expect(probs.filter((p) => p >= c.threshold + 1e-3).length / probs.length).toBeLessThan(0.99);
    expect(calibrateUnknownThreshold([0.9, 0.8], { keepAnswered: 1 }).threshold).toBeCloseTo(0.8, 6);
    expect(() => calibrateUnknownThreshold([])).toThrow(/no validation/);
  });
});
