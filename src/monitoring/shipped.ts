import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireDataPath } from '../core/paths.js';
import { sha256File, type ModelVersion } from '../models/model-repository.js';
import { courseSplit } from '../features/course/course-split.js';
import { loadCourseDataset } from '../features/course/course-dataset.js';
import { listImageDataset, splitDataset } from '../ingest/image-dataset.js';
import { audioBatch, courseBatch, imageBatch, listFiles, type MonitoredBatch } from './batch.js';
import { buildReference, type Media, type ModelReference } from './reference.js';
import type { EnrichedCourse } from '../features/course/enrich.js';

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

/** What a reference is computed over: the clips, the labelled photos or the records a version was trained on. */
export type ReferenceItems =
  | { media: 'audio'; files: readonly string[]; decode?: (file: string) => Promise<Int16Array> }
  | { media: 'image'; files: readonly string[]; labels: readonly string[] }
  | { media: 'course'; records: readonly EnrichedCourse[] };

/**
 * The reference split of a shipped model and the held-out split that monitoring checks are run on:
 * - audio (RAVDESS): the first repetition of every sentence of all 18 actors (the model's training
 *   clips) is the reference; the second repetition is the "clean" batch. A speaker-disjoint split was
 *   tried and rejected: with 18 actors, 4 held-out speakers already differ in loudness by more than
 *   PSI 0.25 (rms_db PSI 0.89, actors 15-18 vs 01-14), so "clean" would not be unshifted;
 * - image: the recorded train / test split of the manifest (training.split);
 * - course: the recorded train / test split (seed, test size) of the manifest.
 */
export function shippedSplits(v: ModelVersion): { media: Media; data: string; split: string; reference: string[] | number[]; heldOut: string[] | number[]; labels?: { reference: string[]; heldOut: string[] } } {
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
    return {
      media,
      data: 'animals',
      split: `train split (seed ${sp.seed}); held out: test split`,
      reference: s.train.map((i) => i.file),
      heldOut: s.test.map((i) => i.file),
      labels: { reference: s.train.map((i) => i.label), heldOut: s.test.map((i) => i.label) },
    };
  }
  const ds = loadCourseDataset(undefined, { referenceDate: (v.manifest.features.settings as { referenceDate?: string }).referenceDate });
  const sp = (t.split as { seed?: number; testSize?: number }) ?? {};
  const s = courseSplit(ds, sp.seed, sp.testSize);
  return { media, data: 'udemy/udemy_courses.csv', split: `train split (seed ${s.seed}, test size ${s.testSize}); held out: test split`, reference: s.train, heldOut: s.test };
}

type BatchHooks = Parameters<typeof audioBatch>[2] & Omit<NonNullable<Parameters<typeof imageBatch>[2]>, 'embedding'> & { transformCourse?: (r: EnrichedCourse) => EnrichedCourse };

/**
 * Monitored batch over one side of the shipped split. Images get the backbone-embedding features of
 * the version's reference summary (the reference side is fitted by writeReference instead).
 */
export async function shippedBatch(v: ModelVersion, side: 'reference' | 'heldOut', hooks: BatchHooks = {}): Promise<MonitoredBatch> {
  const sp = shippedSplits(v);
  if (sp.media === 'audio') return audioBatch(v, sp[side] as string[], hooks);
  if (sp.media === 'image') return imageBatch(v, sp[side] as string[], { ...hooks, embedding: loadReference(v)?.embedding });
  const ds = loadCourseDataset(undefined, { referenceDate: (v.manifest.features.settings as { referenceDate?: string }).referenceDate });
  const recs = (sp[side] as number[]).map((i) => ds.records[i]);
  return courseBatch(v, hooks.transformCourse ? recs.map(hooks.transformCourse) : recs, hooks);
}

/**
 * Computes the training reference of a version from the items it was trained on and writes
 * reference.json beside its manifest; the manifest gets files.reference and its sha256 (weights and
 * other files untouched). The one implementation behind scripts/build-references.ts (shipped
 * models) and `streamlens train` (every published version).
 */
export async function writeReference(v: ModelVersion, items: ReferenceItems, source: { data: string; split: string }): Promise<ModelReference> {
  if (items.media !== mediaOf(v)) throw new Error(`reference: model ${v.manifest.name} takes ${mediaOf(v)} input, not ${items.media}`);
  const b =
    items.media === 'audio'
      ? await audioBatch(v, items.files, { decode: items.decode })
      : items.media === 'image'
        ? await imageBatch(v, items.files, { embedding: { fit: items.labels } })
        : courseBatch(v, items.records);
  const ref = buildReference(
    { model: v.manifest.name, version: v.manifest.version, media: items.media, unit: items.media === 'audio' ? 'window' : items.media === 'image' ? 'image' : 'record', source: { ...source, items: b.items } },
    b.observations,
    v.manifest.labels,
    b.predictions,
    b.embedding,
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

/** The reference of a shipped version over its recorded reference split (scripts/build-references.ts). */
export async function writeShippedReference(v: ModelVersion): Promise<ModelReference> {
  const sp = shippedSplits(v);
  let items: ReferenceItems;
  if (sp.media === 'audio') items = { media: 'audio', files: sp.reference as string[] };
  else if (sp.media === 'image') items = { media: 'image', files: sp.reference as string[], labels: sp.labels!.reference };
  else {
    const ds = loadCourseDataset(undefined, { referenceDate: (v.manifest.features.settings as { referenceDate?: string }).referenceDate });
    items = { media: 'course', records: (sp.reference as number[]).map((i) => ds.records[i]) };
  }
  return writeReference(v, items, { data: sp.data, split: sp.split });
}
