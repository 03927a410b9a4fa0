import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EMOTION_LABELS,
  normaliseEmotionLabel,
  parseCremaDName,
  parseFolderLayout,
  parseRavdessName,
  parseSaveeName,
  parseTessName,
  scanSpeechDataset,
} from '../../src/training/speech/datasets.js';

describe('RAVDESS adapter', () => {
  it('reads every emotion code, the actor and its gender', () => {
    EMOTION_LABELS.forEach((label, i) => {
      const c = parseRavdessName(`/d/Actor_07/03-01-0${i + 1}-02-01-02-07.wav`)!;
      expect(c.emotion).toBe(label);
      expect(c.speaker).toBe('ravdess-07');
      expect(c.gender).toBe('male');
      expect(c.info?.intensity).toBe('strong');
    });
    expect(parseRavdessName('03-01-05-01-01-01-12.wav')!.gender).toBe('female');
  });
  it('rejects unknown emotion codes and ignores other names', () => {
    expect(() => parseRavdessName('03-01-09-01-01-01-01.wav')).toThrow(/unknown emotion code 09/);
    expect(parseRavdessName('1001_DFA_ANG_XX.wav')).toBeNull();
  });
});

describe('CREMA-D adapter', () => {
  it.each([
    ['ANG', 'angry'],
    ['DIS', 'disgust'],
    ['FEA', 'fearful'],
    ['HAP', 'happy'],
    ['NEU', 'neutral'],
    ['SAD', 'sad'],
  ])('%s -> %s', (code, label) => {
    const c = parseCremaDName(`/x/1091_IEO_${code}_HI.wav`)!;
    expect(c.emotion).toBe(label);
    expect(c.speaker).toBe('crema-d-1091');
    expect(c.gender).toBeUndefined();
  });
  it('rejects an unknown code', () => {
    expect(() => parseCremaDName('1001_DFA_XYZ_XX.wav')).toThrow(/unknown emotion code XYZ/);
    expect(parseCremaDName('OAF_back_angry.wav')).toBeNull();
  });
});

describe('TESS adapter', () => {
  it('reads the suffix label, ps = surprised, both speakers female', () => {
    expect(parseTessName('/t/OAF_angry/OAF_back_angry.wav')).toMatchObject({ emotion: 'angry', speaker: 'tess-OAF', gender: 'female' });
    expect(parseTessName('/t/YAF_pleasant_surprised/YAF_bean_ps.wav')).toMatchObject({ emotion: 'surprised', speaker: 'tess-YAF' });
    expect(parseTessName('/t/YAF_fear/YAF_dog_fear.wav')!.emotion).toBe('fearful');
  });
  it('falls back to the folder label', () => {
    expect(parseTessName('/t/OAF_Sad/OAF_bite_x.wav')!.emotion).toBe('sad');
    expect(() => parseTessName('/t/misc/OAF_bite_x.wav')).toThrow(/cannot tell the emotion/);
  });
});

describe('SAVEE adapter', () => {
  it.each([
    ['a', 'angry'],
    ['d', 'disgust'],
    ['f', 'fearful'],
    ['h', 'happy'],
    ['n', 'neutral'],
    ['sa', 'sad'],
    ['su', 'surprised'],
  ])('%s -> %s', (code, label) => {
    expect(parseSaveeName(`/s/JK_${code}03.wav`)).toMatchObject({ emotion: label, speaker: 'savee-JK', gender: 'male' });
  });
  it('reads the speaker folder layout and rejects unknown speakers', () => {
    expect(parseSaveeName('/s/KL/sa12.wav')).toMatchObject({ emotion: 'sad', speaker: 'savee-KL' });
    expect(parseSaveeName('/s/XX_a01.wav')).toBeNull();
  });
});

describe('folder-per-label layout and scanning', () => {
  it('maps folder names to the shared label set', () => {
    expect(normaliseEmotionLabel('Fear')).toBe('fearful');
    expect(normaliseEmotionLabel('surprise')).toBe('surprised');
    expect(normaliseEmotionLabel('bored')).toBeNull();
    expect(parseFolderLayout('/r', '/r/spk1/happy/a.wav')).toMatchObject({ emotion: 'happy', speaker: 'folders-spk1' });
    expect(parseFolderLayout('/r', '/r/angry/bob_1.wav')).toMatchObject({ emotion: 'angry', speaker: 'folders-bob' });
  });

  it('scans a mixed tree with every adapter and reports unrecognised files', () => {
    const root = mkdtempSync(join(tmpdir(), 'speech-ds-'));
    const files = [
      'ravdess/Actor_02/03-01-04-01-02-01-02.wav',
      'crema/1001_DFA_ANG_XX.wav',
      'tess/OAF_happy/OAF_back_happy.wav',
      'savee/DC_su01.wav',
      'mine/speakerA/calm/take1.wav',
      'mine/unlabelled/noise.wav',
    ];
    for (const f of files) {
      mkdirSync(join(root, f, '..'), { recursive: true });
      writeFileSync(join(root, f), 'x');
    }
    const { clips, skipped } = scanSpeechDataset(root);
    expect(clips.map((c) => [c.dataset, c.emotion]).sort()).toEqual(
      [
        ['crema-d', 'angry'],
        ['folders', 'calm'],
        ['ravdess', 'sad'],
        ['savee', 'surprised'],
        ['tess', 'happy'],
      ].sort(),
    );
    expect(skipped).toHaveLength(1);
    expect(scanSpeechDataset(root, 'savee').clips).toHaveLength(1);
    expect(() => scanSpeechDataset(join(root, 'nope'))).toThrow(/not found/);
  });
});
