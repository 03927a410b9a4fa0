/**
 * The image analyses (grayscale vs RGB, head search, CNN, paired tests, ROC/PR) on a small real
 * split of the shared photos, scored beside the shipped model through its served path; the report
 * has every section and opens in headless Chromium without console errors. Feature caches go to a
 * temporary STREAMLENS_CACHE.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendSectionsToReportHtml } from '../../src/analysis/report-append.js';
import { escapeHtml, writeReport } from '../../src/analysis/report.js';
import { resolveModel, sha256File } from '../../src/models/model-repository.js';
import { dataRoot, repoRoot } from '../../src/core/paths.js';
import { decodeResizedRgb } from '../../src/features/image/preprocess.js';
import { DARKNET_INPUT_SETTINGS } from '../../src/features/image/settings.js';
import { initTrainingBackend } from '../../src/inference/tfjs-backend.js';
import { DEFAULT_AUGMENT, scaledAugment } from '../../src/training/image/augment.js';
import { backboneOutputsFor } from '../../src/training/image/backbone-features.js';
import { loadImageModel } from '../../src/training/image/commands.js';
import { listImageDataset, splitDataset } from '../../src/ingest/image-dataset.js';
import { LUMA_WEIGHTS, rgbToGray3 } from '../../src/features/image/colour-encodings.js';
import { runImageAnalyses, type ImageAnalyses } from '../../src/training/image/image-analyses.js';
import { IMAGE_ANALYSIS_SECTION_TITLES, imageAnalysesSections } from '../../src/training/image/image-analyses-report.js';
import { servedProbabilities } from '../../src/training/image/served-scoring.js';
import { reportPageProblems } from '../helpers/report-page.js';
import { animalPhoto } from './helpers.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'streamlens-analyses-cache-'));
const previousCache = process.env.STREAMLENS_CACHE;
beforeAll(() => {
  process.env.STREAMLENS_CACHE = cacheDir;
});
afterAll(() => {
  if (previousCache === undefined) delete process.env.STREAMLENS_CACHE;
  else process.env.STREAMLENS_CACHE = previousCache;
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('grayscale variant', () => {
  it('puts the BT.601 luma of each pixel into all three channels', () => {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 200, 30, 255, 255, 255]);
    const g = rgbToGray3(rgb);
    const expected = [76, 150, 29, Math.round(0.299 * 10 + 0.587 * 200 + 0.114 * 30), 255];
    expect(Array.from(g)).toEqual(expected.flatMap((y) => [y, y, y]));
    expect(LUMA_WEIGHTS.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(() => rgbToGray3(Uint8Array.from([1, 2]))).toThrow(/whole number of RGB pixels/);
  });

  it('gives a real photo equal channels and different backbone features from its RGB version', async () => {
    const file = animalPhoto('fox', 0);
    const { rgb } = await decodeResizedRgb(file, DARKNET_INPUT_SETTINGS);
    const g = rgbToGray3(rgb);
    let coloured = 0;
    for (let i = 0; i < g.length; i += 3) {
      expect(g[i]).toBe(g[i + 1]);
      expect(g[i]).toBe(g[i + 2]);
      if (rgb[i] !== rgb[i + 1] || rgb[i + 1] !== rgb[i + 2]) coloured++;
    }
    expect(coloured).toBeGreaterThan(g.length / 6); // the photo has colour; its grayscale does not
    const [colour] = await backboneOutputsFor([{ file, variant: 'orig' }], { colour: 'rgb' });
    const [grey] = await backboneOutputsFor([{ file, variant: 'orig' }], { colour: 'gray' });
    const diff = colour.features.reduce((a, v, i) => a + Math.abs(v - grey.features[i]), 0);
    expect(diff).toBeGreaterThan(1);
  });
});

describe('augmentation strength', () => {
  it('scales the default ranges (1 = default, 0 = mirror only) and keys non-default ranges apart in the cache', async () => {
    expect(scaledAugment(1)).toEqual(DEFAULT_AUGMENT);
    expect(scaledAugment(0)).toMatchObject({ maxRotateDeg: 0, maxZoom: 1, maxShift: 0, brightness: 0, contrast: 0, flip: true });
    expect(scaledAugment(0.5).maxZoom).toBeCloseTo(1.125, 12);
    expect(() => scaledAugment(-1)).toThrow(/>= 0/);
    const file = animalPhoto('cat', 1);
    await expect(backboneOutputsFor([{ file, variant: 'aug0' }], { augment: scaledAugment(1.5) })).rejects.toThrow(/augmentTag/);
    const [strong] = await backboneOutputsFor([{ file, variant: 'aug0' }], { augment: scaledAugment(1.5), augmentTag: 's1.5' });
    const [normal] = await backboneOutputsFor([{ file, variant: 'aug0' }]);
    expect(strong.features.some((v, i) => v !== normal.features[i])).toBe(true);
  });
});

describe('image analyses on a small real split, beside the shipped model', () => {
  let analyses: ImageAnalyses;
  const out = mkdtempSync(join(tmpdir(), 'streamlens-analyses-report-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  beforeAll(async () => {
    await initTrainingBackend('auto', { log: () => {} });
    const ds = listImageDataset(join(dataRoot(), 'animals'));
    const few = ds.labels.flatMap((l) => ds.items.filter((i) => i.label === l).slice(0, 14));
    const split = splitDataset(few, { seed: 5, testFraction: 0.3, validationFraction: 0.25 });
    const loaded = await loadImageModel({ model: 'animal' });
    try {
      const served = { name: 'shipped animal (served ONNX)', validation: await servedProbabilities(loaded, split.validation.map((i) => i.file)), test: await servedProbabilities(loaded, split.test.map((i) => i.file)) };
      analyses = await runImageAnalyses({ split, labels: ds.labels, seed: 5, served, searchBudget: 2, cnnEpochs: 1, epochs: 8, patience: 3, log: () => {} });
    } finally {
      await loaded.classifier.close();
    }
  }, 600_000);

  it('scores every model on the same test photos and compares them pairwise', () => {
    const n = analyses.split.test;
    expect(analyses.models.map((m) => m.id)).toEqual(['served', 'rgb', 'gray', 'searched', 'cnn', 'zero-shot']);
    for (const m of analyses.models) {
      expect(m.test.n).toBe(n);
      expect(m.testProbs).toHaveLength(n);
      expect(m.test.accuracy).toBeGreaterThanOrEqual(0);
    }
    // The shipped model and the transfer heads recognise most of these photos; chance is 1/3.
    expect(analyses.models.find((m) => m.id === 'served')!.test.accuracy).toBeGreaterThan(0.8);
    expect(analyses.models.find((m) => m.id === 'rgb')!.test.accuracy).toBeGreaterThan(0.6);
    for (const c of analyses.comparisons) {
      expect(c.table.flat().reduce((a, b) => a + b, 0)).toBe(n);
      expect(c.mcnemarExact.pValue).toBeGreaterThan(0);
      expect(c.mcnemarExact.pValue).toBeLessThanOrEqual(1);
    }
    expect(analyses.comparisons.map((c) => `${c.a}/${c.b}`)).toContain('rgb/gray');
  });

  it('runs the head search on validation: trial 0 is the shipped recipe, then the budget of random draws', () => {
    const s = analyses.search;
    expect(s.trials).toHaveLength(3);
    expect(s.trials[0]).toMatchObject({ source: 'default', params: { learningRate: 1e-3, dropout: 0.3, l2: 1e-3, augmentStrength: 1 } });
    expect(s.trials.slice(1).every((t) => t.source === 'random')).toBe(true);
    const best = Math.max(...s.trials.map((t) => t.score));
    expect(s.trials[s.chosen].score).toBe(best);
    expect(s.testProbs).toHaveLength(analyses.split.test);
  });

  it('writes a report with every section that opens in Chromium without console errors', async () => {
    const sections = imageAnalysesSections(analyses, 'streamlens analyze images --out DIR');
    const titles = sections.map((s) => s.title ?? '');
    for (const t of Object.values(IMAGE_ANALYSIS_SECTION_TITLES)) expect(titles).toContain(t);
    for (const m of ['shipped animal (served ONNX)', 'grayscale', 'CNN from scratch']) {
      expect(titles.some((t) => t.includes(m) && t.includes('ROC curves'))).toBe(true);
      expect(titles.some((t) => t.includes(m) && t.includes('precision-recall'))).toBe(true);
    }
    expect(titles.some((t) => t.startsWith('CNN from scratch') && t.endsWith('confusion matrix (test)'))).toBe(true);
    const { htmlPath } = await writeReport(out, { title: 'image analyses test', sections });
    await expectOpensCleanly(htmlPath, sections.filter((s) => s.kind === 'chart').length);

    // Appended to a copy of the shipped version's report: its own sections stay, appending twice does not duplicate.
    const copy = join(out, 'shipped-report.html');
    copyFileSync(join(repoRoot, 'models', 'animal', '2', 'report.html'), copy);
    const original = readFileSync(copy, 'utf8');
    const once = await appendSectionsToReportHtml(original, 'Analyses', sections);
    const twice = await appendSectionsToReportHtml(once, 'Analyses', sections, 'later');
    const count = (html: string, s: string) => html.split(s).length - 1;
    expect(count(twice, IMAGE_ANALYSIS_SECTION_TITLES.pairedTests)).toBe(1);
    // The shipped report may already carry appended sections (analyze images --update-model-report): they are replaced.
    const START = '<!-- streamlens:appended-sections -->';
    const END = '<!-- /streamlens:appended-sections -->';
    const own = original.includes(START) ? original.slice(0, original.indexOf(START)) + original.slice(original.indexOf(END) + END.length) : original;
    expect(count(twice, '<section>')).toBe(count(once, '<section>'));
    expect(count(once, '<section>')).toBe(count(own, '<section>') + sections.length + 1);
    expect(twice).toContain(original.slice(original.indexOf('<h1>'), original.indexOf('</body>')).slice(0, 2000));
    // A named block goes after the others and keeps them; appending it again replaces only it.
    const gate = [{ kind: 'text' as const, title: 'Gate', text: 'the gate' }];
    const named = await appendSectionsToReportHtml(twice, 'Gate', gate, 'now', 'ood-gate');
    const again = await appendSectionsToReportHtml(named, 'Gate', gate, 'later', 'ood-gate');
    expect(count(named, '<section>')).toBe(count(twice, '<section>') + 2);
    expect(count(again, '<section>')).toBe(count(named, '<section>'));
    expect(count(again, IMAGE_ANALYSIS_SECTION_TITLES.pairedTests)).toBe(1);
    expect(again.indexOf('<h2>Gate</h2>')).toBeGreaterThan(again.indexOf(IMAGE_ANALYSIS_SECTION_TITLES.pairedTests));
    await expect(appendSectionsToReportHtml(twice, 'x', gate, 'now', 'Bad Name')).rejects.toThrow(/block name 'Bad Name'/);
    writeFileSync(copy, twice);
    await expectOpensCleanly(copy, count(own, '<img') + sections.filter((s) => s.kind === 'chart').length);
  });
});

async function expectOpensCleanly(htmlPath: string, images: number): Promise<void> {
  const problems = await reportPageProblems(htmlPath, async (page) => {
    const imgs = await page.$$eval('img', (els) => els.map((i) => i.complete && i.naturalWidth > 0));
    expect(imgs).toHaveLength(images);
    expect(imgs.every(Boolean)).toBe(true);
  });
  expect(problems).toEqual([]);
}

describe('the shipped version report', () => {
  it('has every analysis section (written by analyze images --update-model-report) and opens without console errors', async () => {
    const { dir, manifest } = resolveModel('animal');
    const html = readFileSync(join(dir, manifest.files.report!), 'utf8');
    for (const t of ['Data and protocol', 'Held-out test results', ...Object.values(IMAGE_ANALYSIS_SECTION_TITLES)]) expect(html, t).toContain(`<h2>${escapeHtml(t)}</h2>`);
    // Written by the training run itself (train image runs the analyses) or appended later by analyze images.
    expect(html.includes('streamlens analyze images --out DIR --update-model-report') || html.includes('streamlens train image --data DIR')).toBe(true);
    for (const what of ['ROC curves, one-vs-rest per class, micro and macro average', 'precision-recall curves with average precision']) expect(html.split(`${what}</h2>`).length - 1).toBe(3);
    expect(html).toMatch(/<h2>CNN from scratch[^<]*: confusion matrix \(test\)<\/h2>/);
    // The pretrained-backbone comparison (analyze backbones --update-model-report).
    for (const t of ['Pretrained backbones: held-out results', 'Pretrained backbones: McNemar on the test photos']) expect(html, t).toContain(`<h2>${escapeHtml(t)}</h2>`);
    // The gate's results as served: train image-gate's section, or train image's own for a model trained with its gates.
    expect(html.includes(`<h2>${escapeHtml('As served ("unknown" counts wrong)')}</h2>`) || html.includes(escapeHtml('Cascade + Mahalanobis "none of these" gates (served'))).toBe(true);
    // The manifest's hash of the report is the report's, and the version still loads (its model files are checked by hash).
    expect(manifest.sha256[manifest.files.report!]).toBe(sha256File(join(dir, manifest.files.report!)));
    await expectOpensCleanly(join(dir, manifest.files.report!), html.split('<img').length - 1);
  });
});
