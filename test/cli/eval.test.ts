import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataRoot } from '../../src/core/paths.js';
import type { ModelManifest } from '../../src/models/manifest.js';
import { resolveModel } from '../../src/models/model-repository.js';
import { listImageDataset, splitDataset } from '../../src/ingest/image-dataset.js';
import { partitionBySpeaker, trainingSpeakers } from '../../src/training/speech/seen-speakers.js';
import { lines, runCli, STACK_FRAME, tempDir } from './helpers.js';

/**
 * Issue 24 point 4b: every eval prints how much of the data the evaluated model was trained on
 * (seenSpeakers / seenItems, from its manifest), warns on stderr when any, and `--subset unseen`
 * evaluates only the others; all eval commands take --data, --model and --subset.
 */
let dir: string;
let cache: string;
beforeAll(() => {
  dir = tempDir();
  cache = join(dir, 'cache');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function clipsOf(actor: string, n: number): string[] {
  const d = join(dataRoot(), 'ravdess', actor);
  return readdirSync(d)
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .slice(0, n)
    .map((f) => join(d, f));
}

describe('seen speakers from the manifest', () => {
  it('the shipped emotion and gender models were trained on all 18 RAVDESS actors (their cross-validation folds)', () => {
    for (const name of ['emotion', 'gender']) {
      const known = trainingSpeakers(resolveModel(name).manifest);
      expect(known?.speakers.size).toBe(18);
      expect(known?.speakers.has('ravdess-01')).toBe(true);
    }
  });

  it('partitions clips by speaker; unseen keeps the others; training.speakerIds wins when recorded', () => {
    const manifest = { name: 'emotion', version: '9', training: { speakerIds: ['a', 'b'] }, metrics: { accuracy: { mean: 0.6 } } } as unknown as ModelManifest;
    const clips = [{ speaker: 'a' }, { speaker: 'a' }, { speaker: 'c' }];
    const all = partitionBySpeaker(clips, manifest, 'all', 'DATA');
    expect(all).toMatchObject({ speakers: 2, seenSpeakers: 1, subset: 'all', unseenSpeakerEstimate: { accuracy: 0.6 } });
    expect(all.clips).toHaveLength(3);
    expect(all.warnings[0]).toMatch(/1 of the 2 speakers in DATA were in the training data of model emotion v9.*estimate is accuracy 0\.600.*--subset unseen evaluates only the other 1/);
    const unseen = partitionBySpeaker(clips, manifest, 'unseen');
    expect(unseen.clips).toEqual([{ speaker: 'c' }]);
    expect(unseen.warnings).toEqual([]);
    expect(() => partitionBySpeaker([{ speaker: 'b' }], manifest, 'unseen')).toThrow(/all 1 speakers .* were in the training data/);
    const unknown = partitionBySpeaker(clips, { ...manifest, training: {}, metrics: {} } as ModelManifest, 'all');
    expect(unknown.seenSpeakers).toBeNull();
    expect(unknown.warnings[0]).toMatch(/does not record the speakers/);
  });
});

describe('eval commands through the CLI', () => {
  it('all eval commands take --data, --model and --subset', async () => {
    for (const task of ['audio', 'image', 'course']) {
      const r = await runCli(['eval', task, '--help']);
      expect(r.code).toBe(0);
      for (const flag of ['--data <path>', '--model <name|dir>', '--subset <which>']) expect(r.stdout, `eval ${task}`).toContain(flag);
      expect(r.stdout).not.toMatch(/--data <path>\s+\(required\)/);
    }
  });

  it('eval audio on clips of actors the model was trained on: seenSpeakers, a warning, and --subset unseen refuses', async () => {
    const data = join(dir, 'speech');
    mkdirSync(data);
    for (const f of [...clipsOf('Actor_01', 2), ...clipsOf('Actor_02', 2)]) symlinkSync(f, join(data, basename(f)));
    const r = await runCli(['eval', 'audio', '--data', data], { env: { STREAMLENS_CACHE: cache } });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ subset: 'all', speakers: 2, seenSpeakers: 2, n: 4, model: { name: 'emotion' }, unseenSpeakerEstimate: { accuracy: expect.any(Number) } });
    expect(doc.unseenSpeakerEstimate.accuracy).toBeCloseTo(0.585, 2);
    const warning = lines(r.stderr);
    expect(warning).toHaveLength(1);
    expect(warning[0]).toMatch(/^streamlens: warning: eval audio: 2 of the 2 speakers .* were in the training data of model emotion v\d+: these figures overstate/);

    const u = await runCli(['eval', 'audio', '--data', data, '--subset', 'unseen'], { env: { STREAMLENS_CACHE: cache } });
    expect(u.code).toBe(1);
    expect(u.stdout).toBe('');
    expect(lines(u.stderr)).toHaveLength(1);
    expect(u.stderr).toMatch(/--subset unseen: all 2 speakers in .* were in the training data of model emotion v\d+; give clips of other speakers/);
    expect(u.stderr).not.toMatch(STACK_FRAME);

    const g = await runCli(['eval', 'audio', '--task', 'gender', '--data', data], { env: { STREAMLENS_CACHE: cache } });
    expect(g.code, g.stderr).toBe(0);
    expect(JSON.parse(g.stdout)).toMatchObject({ task: 'gender', seenSpeakers: 2, speakers: 2 });
    expect(g.stderr).toMatch(/warning: eval audio: 2 of the 2 speakers/);
  });

  it('eval image: seenItems counts the photos of the training split (by content, wherever they are); --subset unseen (or test) scores the others', async () => {
    const training = resolveModel('animal').manifest.training as { split: { seed: number; testFraction: number; validationFraction: number } };
    const split = splitDataset(listImageDataset(join(dataRoot(), 'animals')).items, training.split);
    const data = join(dir, 'photos');
    for (const label of ['cat', 'dog', 'fox']) {
      mkdirSync(join(data, label), { recursive: true });
      const picks = [split.train.find((i) => i.label === label)!, split.test.find((i) => i.label === label)!];
      // renamed copies: "seen" is decided by content, not by the file name
      picks.forEach((it, k) => writeFileSync(join(data, label, `photo-${k}.jpg`), readFileSync(it.file)));
    }
    const r = await runCli(['eval', 'image', '--data', data]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ subset: 'all', items: 6, seenItems: 3, n: 6 });
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^streamlens: warning: eval image: 3 of the 6 images .* were in the training data of model animal v\d+.*--subset unseen evaluates only the other 3$/)]);
    const u = await runCli(['eval', 'image', '--data', data, '--subset', 'test']);
    expect(u.code, u.stderr).toBe(0);
    expect(u.stderr).toBe('');
    expect(JSON.parse(u.stdout)).toMatchObject({ subset: 'unseen', items: 6, seenItems: 3, n: 3 });
  });

  it('eval course: seenItems counts the courses of the training split; --subset unseen scores the held-out ones', async () => {
    const rows = readFileSync(join(dataRoot(), 'udemy', 'udemy_courses.csv'), 'utf8').split('\n');
    const csv = join(dir, 'courses.csv');
    writeFileSync(csv, [rows[0], ...rows.slice(1, 201)].join('\n') + '\n');
    const r = await runCli(['eval', 'course', '--data', csv]);
    expect(r.code, r.stderr).toBe(0);
    const all = JSON.parse(r.stdout);
    expect(all).toMatchObject({ subset: 'all', items: 200, n: 200 });
    expect(all.seenItems).toBeGreaterThan(120);
    expect(all.seenItems).toBeLessThan(200);
    expect(r.stderr).toMatch(new RegExp(`warning: eval course: ${all.seenItems} of the 200 courses .* training split of model course v\\d+`));
    const u = await runCli(['eval', 'course', '--data', csv, '--subset', 'unseen']);
    expect(u.code, u.stderr).toBe(0);
    expect(JSON.parse(u.stdout)).toMatchObject({ subset: 'unseen', items: 200, seenItems: all.seenItems, n: 200 - all.seenItems });
  });
});
