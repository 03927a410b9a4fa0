import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDataPath } from '../../src/core/paths.js';
import { assertReproducible, parseAudioFeatureSettings, type AudioFeatureSettingsInput } from '../../src/features/audio/settings.js';
import { resolveModel } from '../../src/models/model-repository.js';
import { classifyAudio, evalAudio } from '../../src/training/speech/commands.js';
import { EMOTION_LABELS } from '../../src/training/speech/datasets.js';
import { loadSpeechModel, predictClip, type SpeechModel } from '../../src/training/speech/speech-serving.js';

/** The shipped emotion model (models/emotion), served exactly as the inference stage serves it. */
const version = resolveModel('emotion');
const reference = (version.manifest.training as { reference: { clip: string; label: string; probs: number[] }[] }).reference;
let model: SpeechModel;

beforeAll(async () => {
  model = await loadSpeechModel('emotion');
});
afterAll(async () => {
  await model?.close();
});

describe('shipped emotion model', () => {
  it('is a small ONNX classifier over the shared extractor\'s windows, with its evaluation in the manifest', () => {
    const m = version.manifest;
    expect(m.task).toBe('audio-emotion');
    expect(m.labels).toEqual([...EMOTION_LABELS]);
    expect(statSync(join(version.dir, m.files.onnx!)).size).toBeLessThan(2 * 1024 * 1024);
    const settings = parseAudioFeatureSettings(m.features.settings as AudioFeatureSettingsInput);
    const sizes = assertReproducible(settings);
    expect(m.inputs[0].shape).toEqual([-1, sizes.framesPerWindow, sizes.nFeatures]);
    expect(m.features.kind).toBe('audio');
    const norm = (m.features as { normalisation?: { mean: number[]; std: number[] } }).normalisation!;
    expect(norm.mean).toHaveLength(sizes.nFeatures);
    const metrics = m.metrics as { accuracy: { mean: number; std: number }; folds: unknown[] };
    expect(metrics.folds).toHaveLength(6);
    expect(metrics.accuracy.mean).toBeGreaterThan(0.125);
  });

  it('reproduces the trained model\'s clip probabilities through the served path (ffmpeg -> extractor -> ONNX)', async () => {
    expect(reference.length).toBeGreaterThanOrEqual(4);
    const root = requireDataPath('ravdess', 'RAVDESS speech data');
    for (const ref of reference.slice(0, 4)) {
      const p = await predictClip(model, join(root, ref.clip));
      expect(p.probs).not.toBeNull();
      Array.from(p.probs!).forEach((v, i) => expect(Math.abs(v - ref.probs[i])).toBeLessThan(1e-3));
    }
  });

  it('evalAudio reports consistent metrics on a few real clips', async () => {
    const ev = await evalAudio({ maxClipsPerSpeaker: 1, print: false });
    expect(ev.n).toBe(18);
    expect(ev.labels).toEqual([...EMOTION_LABELS]);
    const total = ev.confusion.flat().reduce((a, b) => a + b, 0);
    const correct = ev.confusion.reduce((a, row, i) => a + row[i], 0);
    expect(total).toBe(18);
    expect(ev.accuracy).toBeCloseTo(correct / 18, 10);
    const support = Object.values(ev.perClass).reduce((a, c) => a + c.support, 0);
    expect(support).toBe(18);
    for (const c of Object.values(ev.perClass)) expect(c.f1).toBeGreaterThanOrEqual(0);
    expect(ev.model).toEqual({ name: 'emotion', version: version.manifest.version });
  });

  it('classifyAudio (live path: chunks -> features stage -> classifier) agrees with the clip prediction', async () => {
    const root = requireDataPath('ravdess', 'RAVDESS speech data');
    const clip = join(root, reference[0].clip);
    const lines: string[] = [];
    const { windows, summary } = await classifyAudio({ input: clip, write: (l) => lines.push(l) });
    expect(lines).toHaveLength(windows.length + 1);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ summary: true, windows: windows.length });
    const direct = await predictClip(model, clip);
    expect(windows.length).toBe(direct.windows.length);
    const mean = direct.probs!;
    model.labels.forEach((l, i) => expect(summary.scores[l]).toBeCloseTo(mean[i], 3));
    for (const w of windows) {
      if (!w.speech) expect(w.label).toBe('silence');
      else expect(model.labels).toContain(w.label);
    }
  });
});
