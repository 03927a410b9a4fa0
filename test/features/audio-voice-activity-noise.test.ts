import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NOISE_KINDS, noiseSignal, seededUniform } from '../../bench/noise-signals.js';
import { referenceRegion } from '../../bench/voice-activity.js';
import { repoRoot } from '../../src/core/paths.js';
import { FrameAnalyzer } from '../../src/features/audio/frame-analyzer.js';
import { framePlan } from '../../src/features/audio/frame-plan.js';
import { parseAudioFeatureSettings, type AudioFeatureSettingsInput } from '../../src/features/audio/settings.js';
import { extractFile, type FeatureWindow } from '../../src/features/audio/streaming-extractor.js';
import { VOICE_ACTIVITY_INPUTS, VoiceActivityDetector } from '../../src/features/audio/voice-activity.js';
import { pushInRandomChunks, ravdessClips } from './audio-test-signals.js';

// Windows exactly as serving cuts them: the shipped emotion model's feature settings.
const manifest = JSON.parse(readFileSync(join(repoRoot, 'models', 'emotion', '4', 'manifest.json'), 'utf8')) as {
  features: { settings: AudioFeatureSettingsInput };
};
const SERVED = parseAudioFeatureSettings(manifest.features.settings);
const SR = 16000;

const toFloat = (pcm: Int16Array) => Float32Array.from(pcm, (v) => v / 32768);
const flagged = (ws: FeatureWindow[]) => ws.filter((w) => w.speech).length;

describe('voice activity (voiced) on generated noise and real speech', () => {
  it("the shipped model's settings use the voiced detector", () => {
    expect(SERVED.vad.kind).toBe('voiced');
    expect(SERVED.windowSeconds).toBe(2);
  });

  it('generated noise of every kind except music-like tones, -50 and -30 dBFS: no window is speech', () => {
    for (const kind of NOISE_KINDS.filter((k) => k !== 'music')) {
      for (const level of [-50, -30]) {
        const windows = extractFile(noiseSignal(kind, 10, level, 3), SERVED);
        expect(windows.length).toBeGreaterThan(10);
        expect(flagged(windows), `${kind} at ${level} dBFS`).toBe(0);
      }
    }
  });

  it('noise that starts after near-silence (the noise floor far below it) is rarely speech', () => {
    // The known weak case (bench/voice-activity.ts measures it as noiseOnset): while the floor is far below
    // a loud noise that just started, chance runs of periodic frames plus their hangover can reach
    // minSpeechSeconds. Brown noise and keyboard clicks never do here; pink and fan noise a few windows.
    let windows = 0;
    let speech = 0;
    for (const kind of ['pink', 'brown', 'keyboard', 'fan'] as const) {
      const quiet = noiseSignal('white', 3, -90, 9);
      const noise = noiseSignal(kind, 8, -30, 4);
      const x = new Float32Array(quiet.length + noise.length);
      x.set(quiet);
      x.set(noise, quiet.length);
      const ws = extractFile(x, SERVED);
      if (kind === 'brown' || kind === 'keyboard') expect(flagged(ws), kind).toBe(0);
      windows += ws.length;
      speech += flagged(ws);
    }
    expect(speech / windows).toBeLessThanOrEqual(0.1);
  });

  it('music-like tones (held pitches) are mostly not speech', () => {
    // The steady-pitch rule catches most of it; see bench/voice-activity.ts for the measured fraction.
    const windows = extractFile(noiseSignal('music', 20, -30, 3), SERVED);
    expect(flagged(windows) / windows.length).toBeLessThanOrEqual(0.25);
  });

  it('RAVDESS speech: windows holding at least 1 s of the clip speech are speech (>= 95 %), every clip has one', () => {
    const clips = [...ravdessClips('Actor_02', 8), ...ravdessClips('Actor_11', 8), ...ravdessClips('Actor_17', 8)];
    let speechy = 0;
    let kept = 0;
    for (const clip of clips) {
      const pcm = toFloat(clip.pcm);
      const region = referenceRegion(pcm);
      const windows = extractFile(pcm, SERVED).filter((w) => Math.min(w.endSec, region.end) - Math.max(w.startSec, region.start) >= 1);
      expect(windows.length, clip.name).toBeGreaterThan(0);
      expect(windows.some((w) => w.speech), clip.name).toBe(true);
      speechy += windows.length;
      kept += windows.filter((w) => w.speech).length;
    }
    expect(kept / speechy).toBeGreaterThanOrEqual(0.95);
  });

  it('speech in pink noise (20 dB SNR) is speech, the noise around it is not', () => {
    const [clip] = ravdessClips('Actor_07', 1);
    const speech = toFloat(clip.pcm);
    const lead = 4 * SR;
    const x = new Float32Array(lead + speech.length + 3 * SR);
    x.set(speech, lead);
    const region = referenceRegion(speech);
    let ms = 0;
    for (let k = Math.floor(region.start * SR); k < region.end * SR; k++) ms += speech[k] ** 2;
    const speechDb = 10 * Math.log10(ms / ((region.end - region.start) * SR));
    const noise = noiseSignal('pink', x.length / SR, speechDb - 20, 8);
    for (let k = 0; k < x.length; k++) x[k] += noise[k];
    const windows = extractFile(x, SERVED);
    const start = lead / SR + region.start;
    const end = lead / SR + region.end;
    expect(windows.filter((w) => w.endSec <= start || w.startSec >= end).every((w) => !w.speech)).toBe(true);
    expect(windows.some((w) => w.speech)).toBe(true);
  });

  it('speech decisions do not depend on chunking (speech in keyboard noise, seeded random chunks)', () => {
    const [clip] = ravdessClips('Actor_12', 1);
    const speech = toFloat(clip.pcm);
    const x = noiseSignal('keyboard', speech.length / SR + 4, -45, 6);
    for (let k = 0; k < speech.length; k++) x[2 * SR + k] += speech[k];
    const batch = extractFile(x, SERVED).map((w) => `${w.startFrame}:${w.speechFrames}`);
    expect(batch.some((b) => !b.endsWith(':0'))).toBe(true);
    for (const seed of [1, 2]) {
      const streamed = pushInRandomChunks(x, SERVED, seededUniform(seed), 5000);
      expect(streamed.map((w) => `${w.startFrame}:${w.speechFrames}`)).toEqual(batch);
    }
  });

  it('voice measures: a harmonic 150 Hz tone is periodic at 150 Hz, white noise is not periodic', () => {
    const plan = framePlan(SERVED);
    const analyzer = new FrameAnalyzer(plan, VOICE_ACTIVITY_INPUTS);
    const at = analyzer.layout.voiceMeasures!.offset;
    const record = new Float64Array(analyzer.recordWidth);
    const tone = new Float64Array(SR);
    for (let i = 0; i < tone.length; i++) for (let h = 1; h <= 6; h++) tone[i] += (0.1 / h) * Math.sin((2 * Math.PI * 150 * h * i) / SR);
    analyzer.analyze(tone, 4000, record, 0);
    expect(record[at + 1]).toBeGreaterThan(0.95);
    const multiple = 150 / record[at + 2]; // the pitch or a subharmonic of it (see extractors.ts)
    expect(Math.abs(multiple - Math.round(multiple))).toBeLessThan(0.01);
    const noise = Float64Array.from(noiseSignal('white', 1, -30, 2));
    let periodic = 0;
    for (let start = 0; start + plan.nFft <= noise.length; start += plan.hopLength) {
      analyzer.analyze(noise, start, record, 0);
      if (record[at + 1] >= SERVED.vad.minPeriodicity) periodic++;
    }
    expect(periodic).toBeLessThan(20); // of 48 frames; voicing also needs three periodic frames in a row
  });

  it("kind 'voiced' refuses frames without voice measures", () => {
    const vad = new VoiceActivityDetector(SERVED.vad, 0.02);
    expect(() => vad.isSpeechFrame(-30, 0.1)).toThrow(/voiceMeasures/);
  });
});
