import { describe, expect, it } from 'vitest';
import { extractFile, StreamingFeatureExtractor } from '../../src/features/audio/streaming-extractor.js';
import { parseAudioFeatureSettings } from '../../src/features/audio/settings.js';
import { isSpeechWindow, VoiceActivityDetector } from '../../src/features/audio/voice-activity.js';
import { ravdessClips, seededRandom, whiteNoise } from './audio-test-signals.js';

// Short windows so a RAVDESS clip (~1 s of leading silence, speech, trailing silence) has pure-silence windows.
const SHORT = { windowSeconds: 0.5, windowHopSeconds: 0.25, minFinalWindowSeconds: 0.5 };

describe('voice activity', () => {
  it('digital silence and low or loud white noise are not speech', () => {
    expect(extractFile(new Int16Array(3 * 16000), SHORT).every((w) => !w.speech)).toBe(true);
    for (const levelDb of [-80, -60, -40, -20]) {
      const windows = extractFile(whiteNoise(3 * 16000, levelDb, 11), SHORT);
      expect(windows.length).toBeGreaterThan(5);
      expect(windows.filter((w) => w.speech)).toEqual([]);
    }
  });

  it('a noise burst after silence is not speech (flatness)', () => {
    const x = new Float32Array(5 * 16000);
    x.set(whiteNoise(2 * 16000, -35, 5), 2 * 16000);
    expect(extractFile(x, SHORT).filter((w) => w.speech)).toEqual([]);
  });

  it('RAVDESS clips: the leading and trailing silence windows are not speech, the loudest windows are', () => {
    const clips = [...ravdessClips('Actor_04', 6), ...ravdessClips('Actor_09', 6)];
    for (const clip of clips) {
      const windows = extractFile(clip.pcm, SHORT);
      const label = `${clip.name}: ${windows.map((w) => (w.speech ? 'S' : '.')).join('')}`;
      expect(windows[0].speech, label).toBe(false);
      expect(windows[windows.length - 1].speech, label).toBe(false);
      const loudest = windows.reduce((a, b) => (b.rmsDb > a.rmsDb ? b : a));
      expect(loudest.speech, label).toBe(true);
      // with the default 3 s windows every window of a RAVDESS clip holds speech
      expect(extractFile(clip.pcm).every((w) => w.speech), clip.name).toBe(true);
    }
  });

  it('quiet speech (about -50 dBFS) over -65 dBFS background noise is still speech, the noise alone is not', () => {
    const [clip] = ravdessClips('Actor_05', 1);
    const noise = whiteNoise(clip.pcm.length, -65, 3);
    const mixed = new Float32Array(clip.pcm.length);
    for (let i = 0; i < mixed.length; i++) mixed[i] = clip.pcm[i] / 32768 + noise[i];
    expect(extractFile(mixed).every((w) => w.speech)).toBe(true);
    expect(extractFile(noise).some((w) => w.speech)).toBe(false);
  });

  it("noise floor follows the energy down at once and rises slowly (kind 'energy')", () => {
    const vad = new VoiceActivityDetector({ ...parseAudioFeatureSettings().vad, kind: 'energy' }, 0.01);
    expect(vad.isSpeechFrame(-30, 0.1)).toBe(false); // first frame sets the floor
    expect(vad.noiseFloor).toBe(-30);
    expect(vad.isSpeechFrame(-70, 0.1)).toBe(false);
    expect(vad.noiseFloor).toBe(-70);
    expect(vad.isSpeechFrame(-30, 0.1)).toBe(true);
    expect(vad.noiseFloor).toBeCloseTo(-69.95, 9); // +5 dB/s * 0.01 s
    expect(vad.isSpeechFrame(-30, 0.9)).toBe(false); // flat spectrum
    expect(vad.isSpeechFrame(-63, 0.1)).toBe(false); // below floor + margin (8 dB)
    expect(() => vad.isSpeechFrame(Number.NaN, 0.1)).toThrow(/non-finite/);
    expect(isSpeechWindow(25, 25)).toBe(true);
    expect(isSpeechWindow(24, 25)).toBe(false);
  });

  it('speech decisions do not depend on chunking (seeded random chunks)', () => {
    const [clip] = ravdessClips('Actor_06', 1);
    const batch = extractFile(clip.pcm, SHORT).map((w) => w.speech);
    expect(batch.some(Boolean)).toBe(true);
    expect(batch.every(Boolean)).toBe(false);
    const rnd = seededRandom(4);
    const extractor = new StreamingFeatureExtractor(SHORT);
    const streamed: boolean[] = [];
    for (let at = 0; at < clip.pcm.length; ) {
      const size = 1 + Math.floor(rnd() * 3000);
      streamed.push(...extractor.push(clip.pcm.subarray(at, at + size)).map((w) => w.speech));
      at += size;
    }
    streamed.push(...extractor.flush().map((w) => w.speech));
    expect(streamed).toEqual(batch);
  });
});
