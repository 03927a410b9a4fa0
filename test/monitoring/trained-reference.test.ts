import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readVersion } from '../../src/models/model-repository.js';
import { detectDrift } from '../../src/monitoring/detect.js';
import { courseBatch } from '../../src/monitoring/batch.js';
import { loadReference } from '../../src/monitoring/shipped.js';
import { loadCourseDataset } from '../../src/features/course/course-dataset.js';
import { trainCourseModels } from '../../src/training/course/train.js';

/** `streamlens train course` publishes a version with its training reference (the audio case is in test/speech/train-audio.test.ts). */
const out = mkdtempSync(join(tmpdir(), 'sl-trained-reference-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('a trained course version carries its training reference', () => {
  it('reference.json over the training split, listed and hashed in the manifest; its own held-out split does not drift', async () => {
    const r = await trainCourseModels({ modelsRoot: out, quick: true, folds: 2, algorithms: ['naive-bayes', 'linear-regression'], log: () => {} });
    const v = readVersion(r.version.dir);
    expect(v.manifest.files.reference).toBe('reference.json');
    expect(v.manifest.sha256['reference.json']).toMatch(/^[0-9a-f]{64}$/);
    const ref = loadReference(v)!;
    expect(ref).toMatchObject({ model: 'course', version: v.manifest.version, media: 'course', unit: 'record' });
    expect(ref.source.items).toBe(r.split.train.length);
    expect(ref.features.map((f) => f.name).sort()).toEqual(['age_days', 'content_duration', 'is_paid', 'level', 'num_lectures', 'num_reviews', 'num_subscribers', 'price', 'published_year', 'title_words']);
    expect(ref.outputs?.labels).toEqual(v.manifest.labels);
    const ds = loadCourseDataset(undefined, { referenceDate: r.dataset.referenceDate });
    const held = courseBatch(v, r.split.test.map((i) => ds.records[i]));
    expect(detectDrift(ref, held.observations, held.predictions).drift).toBe(false);
    const scaled = courseBatch(v, r.split.test.map((i) => ({ ...ds.records[i], price: ds.records[i].price * 2 })), { predict: false });
    expect(detectDrift(ref, scaled.observations).features.filter((f) => f.drift).map((f) => f.name)).toEqual(['price']);
  }, 300_000);
});
