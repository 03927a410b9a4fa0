import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAudioFeatureSettings } from '../../src/features/audio/index.js';
import { featureKeyOf } from '../../src/models/manifest.js';
import { listVersions, modelsRoot, resolveModel } from '../../src/models/model-repository.js';
import { classifyGenderFile, evalGender } from '../../src/training/speech/gender-commands.js';
import { parseRavdessName } from '../../src/training/speech/datasets.js';
import { SPEECH_FEATURE_SETTINGS } from '../../src/training/speech/settings.js';
import { generateAudio, ravdessClips, tempDir } from '../speech/helpers.js';

// Held-in clips (the shipped model was trained on every RAVDESS actor): 2 male and 2 female actors.
const clips = ravdessClips([1, 2, 7, 10], 2);
let dir: string;

beforeAll(() => {
  dir = tempDir('gender-');
});

describe('shipped gender model (models/gender, served path: ONNX + manifest)', () => {
  it('is an audio-gender model whose windows are the emotion model\'s (same featureKey)', () => {
    const v = resolveModel('gender');
    expect(v.manifest.task).toBe('audio-gender');
    expect([...v.manifest.labels].sort()).toEqual(['female', 'male']);
    expect(v.manifest.outputs[0].shape).toEqual([-1, 2]);
    const emotion = listVersions('emotion', modelsRoot());
    const reference = emotion.length > 0
      ? resolveModel('emotion').manifest.features
      : { kind: 'audio' as const, settings: parseAudioFeatureSettings(SPEECH_FEATURE_SETTINGS) as unknown as Record<string, unknown> };
    expect(featureKeyOf(v.manifest.features)).toBe(featureKeyOf(reference));
    const frames = v.manifest.inputs[0].shape;
    expect(frames[0]).toBe(-1);
    expect(frames.slice(1)).toHaveLength(2);
  });

  it('classifies held-in RAVDESS clips by their actors\' gender from the real extractor\'s windows', async () => {
    for (const path of clips) {
      const r = await classifyGenderFile(path);
      expect(r.label, basename(path)).toBe(parseRavdessName(path)!.gender);
      expect(r.speechWindows).toBeGreaterThan(0);
      expect(r.scores.female + r.scores.male).toBeCloseTo(1, 4);
    }
  }, 60_000);

  it('evalGender returns clip-level accuracy, per-class figures, confusion and ROC AUC', async () => {
    const data = join(dir, 'eval');
    for (const p of clips) {
      const actorDir = join(data, basename(dirname(p)));
      mkdirSync(actorDir, { recursive: true });
      symlinkSync(p, join(actorDir, basename(p)));
    }
    const r = await evalGender({ data, cacheRoot: null });
    expect(r.task).toBe('gender');
    expect(r.n).toBe(clips.length);
    expect(r.accuracy).toBe(1);
    expect(r.confusion).toEqual(r.labels.map((l) => r.labels.map((p) => (l === p ? 4 : 0))));
    expect(r.perClass.male.support).toBe(4);
    expect(r.rocAuc).toBe(1);
    expect(r.noSpeech).toEqual([]);
  }, 60_000);

  it('refuses bad input with a clear error instead of a gender: corrupt file, non-audio file, silence', async () => {
    const corrupt = join(dir, 'corrupt.wav');
    writeFileSync(corrupt, Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt '), Buffer.alloc(2000, 0x5a)]));
    await expect(classifyGenderFile(corrupt)).rejects.toThrow(/corrupt\.wav/);
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'this is not audio\n');
    await expect(classifyGenderFile(text)).rejects.toThrow(/notes\.txt/);
    const silence = generateAudio(join(dir, 'silence.wav'), 'anullsrc=r=16000:cl=mono', ['-t', '3']);
    await expect(classifyGenderFile(silence)).rejects.toThrow(/silence\.wav: no speech detected/);
    const noise = generateAudio(join(dir, 'noise.wav'), 'anoisesrc=r=16000:a=0.05:c=white', ['-t', '3']);
    await expect(classifyGenderFile(noise)).rejects.toThrow(/noise\.wav: no speech detected/);
  }, 60_000);
});
