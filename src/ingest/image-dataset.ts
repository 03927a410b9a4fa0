import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { trainTestSplit } from '../analysis/validation.js';

import { IMAGE_EXTENSIONS } from './image-files.js';

export { IMAGE_EXTENSIONS };

export interface LabelledImage {
  /** Absolute path. */
  file: string;
  /** Path relative to the data set folder (stable id, e.g. "cat/cat.12.jpg"). */
  id: string;
  label: string;
}

export interface ImageDataset {
  dir: string;
  /** Class folder names, sorted. */
  labels: string[];
  items: LabelledImage[];
}

/** A folder holding one sub-folder of images per class. */
export function listImageDataset(dir: string): ImageDataset {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    throw new Error(`image data set folder ${dir} is not readable: ${(e as Error).message}`);
  }
  const labels = entries.filter((n) => !n.startsWith('.') && statSync(join(dir, n)).isDirectory()).sort();
  if (labels.length < 2) throw new Error(`image data set ${dir} needs at least two class folders, found ${labels.length}`);
  const items: LabelledImage[] = [];
  for (const label of labels) {
    const files = readdirSync(join(dir, label))
      .filter((f) => IMAGE_EXTENSIONS.test(f))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (files.length === 0) throw new Error(`class folder ${join(dir, label)} holds no images`);
    for (const f of files) items.push({ file: join(dir, label, f), id: relative(dir, join(dir, label, f)), label });
  }
  return { dir, labels, items };
}

export interface HoldoutSplit<T> {
  train: T[];
  validation: T[];
  test: T[];
}

/**
 * Stratified split by file with a fixed seed: `testFraction` of each class is held out (never trained
 * on), then `validationFraction` of the rest is carved out for early stopping and calibration.
 */
export function splitDataset<T extends { label: string }>(
  items: readonly T[],
  options: { seed: number; testFraction?: number; validationFraction?: number },
): HoldoutSplit<T> {
  const outer = trainTestSplit(items.length, { testSize: options.testFraction ?? 0.2, seed: options.seed, stratify: items.map((i) => i.label) });
  const rest = outer.train.map((i) => items[i]);
  const inner = trainTestSplit(rest.length, {
    testSize: options.validationFraction ?? 0.15,
    seed: options.seed + 1,
    stratify: rest.map((i) => i.label),
  });
  return {
    train: inner.train.map((i) => rest[i]),
    validation: inner.test.map((i) => rest[i]),
    test: outer.test.map((i) => items[i]),
  };
}

/**
 * The held-out test items of a trained model, re-made from the split its manifest records
 * (`training.split`: seed, fractions); undefined when the manifest records no split seed.
 */
export function recordedTestSplit<T extends { label: string }>(training: Record<string, unknown>, items: readonly T[]): T[] | undefined {
  const split = training.split as { seed?: number; testFraction?: number; validationFraction?: number } | undefined;
  if (split?.seed === undefined) return undefined;
  return splitDataset(items, { seed: split.seed, testFraction: split.testFraction, validationFraction: split.validationFraction }).test;
}
