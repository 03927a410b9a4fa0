import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDataPath } from '../../src/core/paths.js';
import { analyzeSpeech, type AnalyzeSpeechResult } from '../../src/training/speech/speech-statistics.js';
import { launchChromium, watchPageProblems } from '../helpers/chromium.js';

/**
 * `analyze speech` on a small real sample (6 RAVDESS actors, every 7th clip: enough speakers for the
 * 6 speaker folds): the report has every section it promises, and opens in headless Chromium
 * without console errors, page errors or external requests.
 */
const dir = mkdtempSync(join(tmpdir(), 'sl-speech-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let r: AnalyzeSpeechResult;
beforeAll(async () => {
  const ravdess = requireDataPath('ravdess', 'RAVDESS speech data');
  const data = join(dir, 'data');
  for (const actor of ['Actor_01', 'Actor_02', 'Actor_03', 'Actor_04', 'Actor_05', 'Actor_06']) {
    mkdirSync(join(data, actor), { recursive: true });
    readdirSync(join(ravdess, actor))
      .filter((f) => f.endsWith('.wav'))
      .sort()
      .filter((_, i) => i % 7 === 0)
      .forEach((f) => symlinkSync(join(ravdess, actor, f), join(data, actor, f)));
  }
  r = await analyzeSpeech({ data, out: join(dir, 'out'), plotCoefficients: 1, cacheRoot: null });
}, 300_000);

describe('speech analysis report', () => {
  it('has the gender statistics, the emotion baselines beside the CNN, the input decision and the clip figure', () => {
    const report = JSON.parse(readFileSync(r.files.json, 'utf8')) as { sections: { kind: string; title?: string; columns?: string[]; rows?: unknown[][] }[] };
    const titles = report.sections.map((s) => s.title);
    for (const t of [
      'Differences that survive correction (speaker level, valid)',
      "Emotion: clip-level baselines on the CNN's speaker folds",
      'Accuracy and macro-F1 per fold (MFCC statistics)',
      'Mean ± SD over the folds (SD with ddof 1)',
      'Accuracy per fold',
      'Spectral contrast and chroma as inputs: on or off by the folds',
      'Decision',
      'One clip through the feature code',
      'Waveform',
      'Spectrogram',
      'Mel spectrogram',
      'Spectral roll-off',
    ]) {
      expect(titles, t).toContain(t);
    }
    const perFold = report.sections.find((s) => s.title === 'Accuracy and macro-F1 per fold (MFCC statistics)')!;
    expect(perFold.rows).toHaveLength(6);
    expect(perFold.columns).toEqual(expect.arrayContaining(['linear SVM, MFCC accuracy', 'random forest, MFCC macro-F1']));
    // 6 actors make 6 folds of one test speaker each, not the published CNN's folds of 3: no CNN column, and the text says so.
    // (On the full data the folds match and the column is there: see BENCHMARKS.md.)
    expect(perFold.columns!.some((c) => /^emotion\/\d+/.test(c))).toBe(false);
    expect(JSON.stringify(report.sections)).toContain('No published emotion model with these folds was found');
    expect('runs' in r.emotionBaselines && r.emotionBaselines.runs).toHaveLength(8); // 4 input sets x 2 models
    const decision = report.sections.find((s) => s.title === 'Spectral contrast and chroma as inputs: on or off by the folds')!;
    expect(decision.rows).toHaveLength(4); // 2 inputs x 2 models
    expect(decision.rows!.every((row) => row[7] === 'on' || row[7] === 'off')).toBe(true);
  });

  it('opens in headless Chromium without console errors; every chart image loads', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const problems = watchPageProblems(page);
      await page.goto(pathToFileURL(r.files.html).href, { waitUntil: 'load' });
      const images = await page.$$eval('img', (imgs) => imgs.map((i) => i.complete && i.naturalWidth > 0));
      expect(images.length).toBeGreaterThanOrEqual(9);
      expect(images.every(Boolean)).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
