import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';
import { buildGenderMfccMatrix, speakerMeans, type GenderMfccMatrix } from '../../src/training/speech/gender-mfcc-matrix.js';
import { GENDER_TESTS, genderStatistics, type LevelStatistics } from '../../src/training/speech/gender-statistics.js';
import { clipMfccMeans } from '../../src/training/speech/clip-mfcc.js';
import { analyzeSpeech } from '../../src/training/speech/speech-statistics.js';
import { tempDir } from '../speech/helpers.js';
import { fixtureClips, ravdessRoot } from './fixture-clips.js';

const fixtures = join(repoRoot, 'test', 'fixtures');
const input = JSON.parse(readFileSync(join(fixtures, 'speech-stats-input.json'), 'utf8')) as GenderMfccMatrix;
interface ExpectedTest {
  statistic: number;
  df?: number;
  pValue: number;
  holm: number;
  bh: number;
  significantHolm: boolean;
  significantBh: boolean;
  etaSquared?: number;
}
interface ExpectedLevel {
  nFemale: number;
  nMale: number;
  coefficients: ({ meanFemale: number; meanMale: number; cohensD: number } & Record<(typeof GENDER_TESTS)[number], ExpectedTest>)[];
}
const expected = JSON.parse(readFileSync(join(fixtures, 'speech-stats-expected.json'), 'utf8')) as { clipLevel: ExpectedLevel; speakerLevel: ExpectedLevel };

const close = (actual: number, want: number, tol: number) => expect(Math.abs(actual - want)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));

function checkLevel(got: LevelStatistics, want: ExpectedLevel) {
  expect(got.nFemale).toBe(want.nFemale);
  expect(got.nMale).toBe(want.nMale);
  expect(got.coefficients).toHaveLength(want.coefficients.length);
  got.coefficients.forEach((c, k) => {
    const w = want.coefficients[k];
    close(c.meanFemale, w.meanFemale, 1e-9);
    close(c.meanMale, w.meanMale, 1e-9);
    close(c.cohensD, w.cohensD, 1e-9);
    for (const t of GENDER_TESTS) {
      const g = c.tests[t];
      close(g.statistic, w[t].statistic, 1e-9);
      close(g.pValue, w[t].pValue, 1e-6);
      close(g.holm, w[t].holm, 1e-6);
      close(g.bh, w[t].bh, 1e-6);
      expect(g.significantHolm, `${c.coefficient} ${t} Holm decision`).toBe(w[t].significantHolm);
      expect(g.significantBh, `${c.coefficient} ${t} BH decision`).toBe(w[t].significantBh);
    }
    close(c.tests.welchT.df as number, w.welchT.df!, 1e-9);
    close(c.tests.anova.effectSize.value, w.anova.etaSquared!, 1e-9);
  });
}

describe('speech statistics: male vs female per MFCC coefficient', () => {
  it('the committed feature matrix is what our extractor computes from the real RAVDESS clips', async () => {
    const root = ravdessRoot();
    const matrix = await buildGenderMfccMatrix(fixtureClips(root), { root, cacheRoot: null });
    expect(matrix.coefficients).toEqual(input.coefficients);
    expect(matrix.clips).toEqual(input.clips);
    matrix.values.forEach((row, i) => row.forEach((v, k) => close(v, input.values[i][k], 1e-9)));
  }, 60_000);

  it('clip-level z, Welch t, ANOVA, F-test, effect sizes and Holm/BH agree with scipy/statsmodels', () => {
    checkLevel(genderStatistics(input).clipLevel, expected.clipLevel);
  });

  it('speaker-level statistics (clip means averaged per speaker) agree with scipy/statsmodels', () => {
    const s = genderStatistics(input);
    expect(speakerMeans(input).clips.map((c) => c.gender)).toEqual(['male', 'female', 'male', 'female']);
    checkLevel(s.speakerLevel, expected.speakerLevel);
  });

  it('lists exactly the coefficients whose adjusted p-value is below alpha as survivors', () => {
    const s = genderStatistics(input);
    for (const level of [s.clipLevel, s.speakerLevel]) {
      for (const t of GENDER_TESTS) {
        expect(level.survivors[t].holm).toEqual(level.coefficients.filter((c) => c.tests[t].holm <= s.alpha).map((c) => c.coefficient));
        expect(level.survivors[t].bh.length).toBeGreaterThanOrEqual(level.survivors[t].holm.length);
      }
    }
    // with 20 clips per gender (pseudo-replicated) some coefficients differ after correction
    expect(s.clipLevel.survivors.welchT.holm.length).toBeGreaterThan(0);
  });

  it('refuses one-gender data, and silent audio has no speech frames', () => {
    const oneGender: GenderMfccMatrix = { ...input, clips: input.clips.map((c) => ({ ...c, gender: 'male' as const })) };
    expect(() => genderStatistics(oneGender)).toThrow(/at least 2 female and 2 male clips/);
    expect(() => clipMfccMeans(new Int16Array(16000), {}, 'silence.wav')).toThrow(/silence.wav: no speech frames/);
    expect(() => clipMfccMeans(new Int16Array(100), {}, 'tiny.wav')).toThrow(/too short/);
  });

  it('analyzeSpeech writes the HTML report and the statistics JSON of a data folder', async () => {
    const dir = tempDir('speech-stats-');
    const data = join(dir, 'data');
    const picked = fixtureClips().filter((_, i) => i % 10 < 3); // 3 clips of each of the 4 actors
    for (const c of picked) {
      mkdirSync(join(data, basename(dirname(c.path))), { recursive: true });
      symlinkSync(c.path, join(data, basename(dirname(c.path)), basename(c.path)));
    }
    const r = await analyzeSpeech({ data, out: join(dir, 'out'), plotCoefficients: 2, cacheRoot: null });
    expect(r.nClips).toBe(12);
    expect(r.nSpeakers).toBe(4);
    for (const f of Object.values(r.files)) expect(existsSync(f), f).toBe(true);
    const written = JSON.parse(readFileSync(r.files.statistics, 'utf8'));
    expect(written.speakerLevel.nFemale).toBe(2);
    expect(written.clipLevel.coefficients[4].tests.welchT.pValue).toBeCloseTo(r.statistics.clipLevel.coefficients[4].tests.welchT.pValue, 12);
    const html = readFileSync(r.files.html, 'utf8');
    expect(html).toContain('Differences that survive correction (speaker level, valid)');
    expect(html).toContain('The valid unit is the speaker');
  }, 60_000);
});
