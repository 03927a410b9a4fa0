import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireDataPath } from '../../src/core/paths.js';
import { readVersion } from '../../src/models/model-repository.js';
import { loadReference } from '../../src/monitoring/shipped.js';
import { buildSpeechModel } from '../../src/training/speech/models.js';
import { trainAudio } from '../../src/training/speech/train-audio.js';

const out = mkdtempSync(join(tmpdir(), 'sl-train-audio-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('speech training (small, real clips)', () => {
  it('builds the cnn with 2 or 3 conv blocks and refuses other depths', () => {
    const shape = { frames: 100, features: 40, classes: 8, seed: 1, width: 1 };
    const two = buildSpeechModel('cnn', { ...shape, depth: 2 });
    const three = buildSpeechModel('cnn', { ...shape, depth: 3 });
    expect(three.countParams()).toBeGreaterThan(two.countParams());
    expect(three.layers.some((l) => l.name === 'b3_conv')).toBe(true);
    expect(() => buildSpeechModel('cnn', { ...shape, depth: 4 })).toThrow(/depth must be 2 or 3/);
    two.dispose();
    three.dispose();
  });

  it('runs speaker-grouped folds, publishes a version whose manifest records the network and its leave-speakers-out scores', async () => {
    const r = await trainAudio({
      data: requireDataPath('ravdess', 'RAVDESS speech data'),
      out,
      maxClipsPerSpeaker: 2,
      folds: 3,
      epochs: 1,
      augmentedCopies: 0,
      depth: 3,
      width: 1,
      cacheFolds: false,
      referenceClips: 2,
      log: () => {},
    });
    const cv = r.crossValidation!;
    expect(cv.folds).toHaveLength(3);
    const tested = cv.folds.flatMap((f) => f.testSpeakers);
    expect(new Set(tested).size).toBe(18); // every speaker tested exactly once, never trained on in its fold
    expect(tested).toHaveLength(18);
    const v = readVersion(join(out, 'emotion', r.published!.version));
    expect(v.manifest.training).toMatchObject({ model: 'cnn', depth: 3, width: 1, speakers: 18, clips: 36 });
    expect(v.manifest.inputs[0].shape).toEqual([-1, 100, 40]);
    // The published version carries its training reference (drift monitoring), over the 36 training clips.
    expect(v.manifest.files.reference).toBe('reference.json');
    const ref = loadReference(v)!;
    expect(ref).toMatchObject({ model: 'emotion', version: r.published!.version, media: 'audio', unit: 'window' });
    expect(ref.source.items).toBe(36);
    expect(ref.features.map((f) => f.name)).toEqual(expect.arrayContaining(['rms_db', 'band0_spread', 'band7_spread', 'speech']));
    expect(ref.outputs!.labels).toEqual(v.manifest.labels);
  }, 240_000);

  it('stacks LSTM layers of the given units (the seed report\'s 3 x 128 LSTM)', () => {
    const m = buildSpeechModel('lstm', { frames: 100, features: 40, classes: 8, seed: 1, lstmLayers: 3, lstmUnits: 16 });
    const lstms = m.layers.filter((l) => l.getClassName() === 'LSTM');
    expect(lstms.map((l) => l.name)).toEqual(['lstm', 'lstm_2', 'lstm_3']);
    expect(lstms.map((l) => (l.getConfig() as { units: number }).units)).toEqual([16, 16, 16]);
    expect(lstms.map((l) => (l.getConfig() as { returnSequences: boolean }).returnSequences)).toEqual([true, true, false]);
    m.dispose();
    expect(() => buildSpeechModel('lstm', { frames: 100, features: 40, classes: 8, seed: 1, lstmLayers: 0 })).toThrow(/whole number >= 1/);
  });

  it('a --no-publish run with early stopping writes its report: per-fold confusion matrices, the published CNN\'s fold beside', async () => {
    const reportDir = join(out, 'lstm-report');
    const r = await trainAudio({
      data: requireDataPath('ravdess', 'RAVDESS speech data'),
      model: 'lstm',
      lstmLayers: 2,
      lstmUnits: 8,
      maxClipsPerSpeaker: 2,
      folds: 6,
      onlyFolds: [0],
      epochs: 3,
      earlyStoppingSpeakers: 1,
      patience: 1,
      augmentedCopies: 0,
      cacheFolds: false,
      publish: false,
      reportDir,
      log: () => {},
    });
    expect(r.published).toBeUndefined();
    const [fold] = r.crossValidation!.folds;
    expect(fold.testSpeakers).toEqual(['ravdess-01', 'ravdess-07', 'ravdess-13']); // fold 1 of the shipped emotion/4
    expect(fold.earlyStoppingSpeakers).toHaveLength(1);
    expect(fold.testSpeakers).not.toContain(fold.earlyStoppingSpeakers![0]);
    expect(fold.epochs.length).toBeGreaterThanOrEqual(2); // patience 1: stops after the first epoch without a better val accuracy
    expect(fold.epochs.every((e) => e.valAcc !== undefined)).toBe(true);
    expect(fold.confusion.flat().reduce((a, b) => a + b, 0)).toBe(fold.testClips);
    expect(existsSync(join(reportDir, 'report.html'))).toBe(true);
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as { sections: { title?: string; rows?: unknown[][] }[] };
    const titles = report.sections.map((s) => s.title);
    expect(titles).toContain('Confusion matrix (pooled out-of-fold)');
    expect(titles).toContain('Confusion matrix, fold 1 (test speakers ravdess-01, ravdess-07, ravdess-13)');
    const beside = report.sections.find((s) => s.title?.startsWith('This run beside emotion/'));
    expect(beside?.rows?.[0]?.[3]).toBeCloseTo(0.5444, 3); // the shipped CNN's fold-1 accuracy, from its manifest
  }, 240_000);
});
