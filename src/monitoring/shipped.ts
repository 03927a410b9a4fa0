import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireDataPath } from '../core/paths.js';
import { sha256File, type ModelVersion } from '../models/model-repository.js';
import { courseSplit } from '../training/course/split.js';
import { loadCourseDataset } from '../features/course/course-dataset.js';
import { listImageDataset, splitDataset } from '../training/image/dataset.js';
import { audioBatch, courseBatch, imageBatch, listFiles, type MonitoredBatch } from './batch.js';
import { buildReference, type Media, type ModelReference } from './reference.js';

export const REFERENCE_FILE = 'reference.json';

export function mediaOf(v: ModelVersion): Media {
  const k = v.manifest.features.kind;
  return k === 'audio' ? 'audio' : k === 'image' ? 'image' : 'course';
}

/** The version's training reference, or undefined when it has none. */
export function loadReference(v: ModelVersion): ModelReference | undefined {
  const file = v.manifest.files.reference;
  if (!file) return undefined;
  const path = join(v.dir, file);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as ModelReference;
}

/**
 * The reference split of a shipped model and the held-out split that monitoring checks are run on:
 * - audio (RAVDESS): the first repetition of every sentence of all 18 actors (the model's training
 *   clips) is the reference; the second repetition is the "clean" batch. A speaker-disjoint split was
 *   tried and rejected: with 18 actors, 4 held-out speakers already differ in loudness by more than
 *   PSI 0.25 (rms_db PSI 0.89, actors 15-18 vs 01-14), so "clean" would not be unshifted;
 * - image: the recorded train / test split of the manifest (training.split);
 * - course: the recorded train / test split (seed, test size) of the manifest.
 */
export function shippedSplits(v: ModelVersion): { media: Media; data: string; split: string; reference: string[] | number[]; heldOut: string[] | number[] } {
  const media = mediaOf(v);
  const t = v.manifest.training as Record<string, unknown>;
  if (media === 'audio') {
    const root = requireDataPath('ravdess', 'RAVDESS clips');
    const files = listFiles(root, /\.wav$/i);
    const repetition = (f: string) => /(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)\.wav$/i.exec(f)?.[6];
    return { media, data: 'ravdess', split: 'repetition 01 of every actor (held out: repetition 02)', reference: files.filter((f) => repetition(f) === '01'), heldOut: files.filter((f) => repetition(f) === '02') };
  }
  if (media === 'image') {
    const ds = listImageDataset(requireDataPath('animals', 'animal photos'));
    const sp = t.split as { seed: number; testFraction?: number; validationFraction?: number };
    const s = splitDataset(ds.items, sp);
    return { media, data: 'animals', split: `train split (seed ${sp.seed}); held out: test split`, reference: s.train.map((i) => i.file), heldOut: s.test.map((i) => i.file) };
  }
  const ds = loadCourseDataset(undefined, { referenceDate: (v.manifest.features.settings as { referenceDate?: string }).referenceDate });
  const sp = (t.split as { seed?: number; testSize?: number }) ?? {};
  const s = courseSplit(ds, sp.seed, sp.testSize);
  return { media, data: 'udemy/udemy_courses.csv', split: `train split (seed ${s.seed}, test size ${s.testSize}); held out: test split`, reference: s.train, heldOut: s.test };
}

/** Monitored batch over one side of the shipped split. */
export async function shippedBatch(v: ModelVersion, side: 'reference' | 'heldOut', hooks: Parameters<typeof audioBatch>[2] & Parameters<typeof imageBatch>[2] & { transformCourse?: (r: import('../features/course/enrich.js').EnrichedCourse) => import('../features/course/enrich.js').EnrichedCourse } = {}): Promise<MonitoredBatch> {
  const sp = shippedSplits(v);
  if (sp.media === 'audio') return audioBatch(v, sp[side] as string[], hooks);
  if (sp.media === 'image') return imageBatch(v, sp[side] as string[], hooks);
  const ds = loadCourseDataset(undefined, { referenceDate: (v.manifest.features.settings as { referenceDate?: string }).referenceDate });
  const recs = (sp[side] as number[]).map((i) => ds.records[i]);
  return courseBatch(v, hooks.transformCourse ? recs.map(hooks.transformCourse) : recs, hooks);
}

/**
 * Computes the training reference of a version and writes reference.json beside its manifest; the
 * manifest gets files.reference and its sha256 (weights and other files untouched).
 */
export async function writeShippedReference(v: ModelVersion): Promise<ModelReference> {
  const sp = shippedSplits(v);
  const b = await shippedBatch(v, 'reference');
  const ref = buildReference(
    { model: v.manifest.name, version: v.manifest.version, media: sp.media, unit: sp.media === 'audio' ? 'window' : sp.media === 'image' ? 'image' : 'record', source: { data: sp.data, split: sp.split, items: b.items } },
    b.observations,
    v.manifest.labels,
    b.predictions,
  );
  const path = join(v.dir, REFERENCE_FILE);
  writeFileSync(path, `${JSON.stringify(ref)}\n`);
  const mPath = join(v.dir, 'manifest.json');
  const raw = JSON.parse(readFileSync(mPath, 'utf8'));
  raw.files.reference = REFERENCE_FILE;
  raw.sha256[REFERENCE_FILE] = sha256File(path);
  writeFileSync(mPath, `${JSON.stringify(raw, null, 2)}\n`);
  return ref;
}
