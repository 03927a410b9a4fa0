import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  barChart,
  bootstrapMacroF1,
  boxPlotChart,
  classificationReport,
  classificationReportSection,
  confusionMatrix,
  confusionMatrixChart,
  correlationHeatmapChart,
  correlationMatrix,
  escapeHtml,
  histogramChart,
  intervalMetric,
  prChart,
  precisionRecallCurvesOvr,
  renderPng,
  renderSvg,
  rocChart,
  rocCurvesOvr,
  scatterChart,
  SeededRandom,
  svgSize,
  trainingCurvesChart,
  writeReport,
  type ChartSpec,
} from '../../src/analysis/index.js';
import { launchChromium, watchPageProblems } from '../helpers/chromium.js';

const rng = new SeededRandom(7);
const labels = ['angry', 'calm', 'happy', 'sad'];
const yTrue = Array.from({ length: 120 }, () => rng.choice(labels));
const scores = yTrue.map((y) => {
  const raw = labels.map((l) => rng.next() + (l === y ? 0.6 : 0));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((v) => v / sum);
});
const yPred = scores.map((r) => labels[r.indexOf(Math.max(...r))]);
const roc = rocCurvesOvr(yTrue, scores);
const pr = precisionRecallCurvesOvr(yTrue, scores);

const charts: Record<string, ChartSpec> = {
  confusion: confusionMatrixChart(confusionMatrix(yTrue, yPred), { title: 'Confusion matrix', normalize: 'true' }),
  roc: rocChart([...roc.perClass.map((p) => ({ name: String(p.label), ...p })), { name: 'micro-average', ...roc.micro }], { title: 'ROC curves' }),
  pr: prChart(pr.perClass.map((p) => ({ name: String(p.label), ...p })), { title: 'Precision-recall curves' }),
  training: trainingCurvesChart(
    { epoch: [1, 2, 3, 4], train: { loss: [1.1, 0.8, 0.6, 0.5], accuracy: [0.4, 0.6, 0.7, 0.75] }, validation: { loss: [1.2, 0.9, 0.8, 0.85], accuracy: [0.35, 0.55, 0.6, 0.6] } },
    { title: 'Training curves' },
  ),
  histogram: histogramChart({ male: Array.from({ length: 80 }, () => rng.normal(120, 20)), female: Array.from({ length: 80 }, () => rng.normal(210, 25)) }, { title: 'Pitch', xTitle: 'Mean pitch (Hz)' }),
  box: boxPlotChart({ cnn: [0.7, 0.72, 0.68, 0.75, 0.71], svm: [0.6, 0.65, 0.62, 0.58, 0.63] }, { title: 'Accuracy per fold', yTitle: 'Accuracy' }),
  scatter: scatterChart(Array.from({ length: 50 }, () => ({ x: rng.normal(0, 1), y: rng.normal(0, 1), group: rng.choice(['a', 'b']) })), { title: 'Embedding', xTitle: 'PC 1', yTitle: 'PC 2' }),
  correlation: correlationHeatmapChart(correlationMatrix({ energy: [1, 2, 3, 4, 5], pitch: [2, 1, 4, 3, 6], rating: [5, 3, 2, 2, 1] }), { title: 'Feature correlation' }),
  modelComparison: barChart([{ label: 'CNN', value: 0.71, interval: [0.66, 0.76] }, { label: 'SVM', value: 0.63, interval: [0.58, 0.68] }], { title: 'Model comparison', yTitle: 'Macro F1' }),
  featureImportance: barChart([{ label: 'pitch', value: 0.5 }, { label: 'energy', value: 0.1 }], { title: 'Feature importances', horizontal: true, yTitle: 'Importance' }),
};

describe('charts render to SVG and PNG without a browser', () => {
  for (const [name, spec] of Object.entries(charts)) {
    it(name, async () => {
      const svg = await renderSvg(spec);
      expect(svg).toContain('<svg');
      const title = typeof spec.title === 'string' ? spec.title : (spec.title as { text: string }).text;
      expect(svg).toContain(`>${escapeHtml(title)}</text>`);
      const { width, height } = svgSize(svg);
      expect(width).toBeGreaterThan(100);
      expect(height).toBeGreaterThan(100);
      const png = await renderPng(spec, { scale: 2 });
      const meta = await sharp(png).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width).toBe(Math.round(width * 2));
      expect(meta.height).toBe(Math.round(height * 2));
      // non-empty: the image is not a single flat colour
      const stats = await sharp(png).stats();
      expect(stats.channels.some((c) => c.max - c.min > 100)).toBe(true);
    });
  }
  it('refuses a chart without a title', () => {
    expect(() => barChart([{ label: 'a', value: 1 }], { title: '' })).toThrow(/title is required/);
  });
});

describe('HTML report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamlens-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes self-contained HTML + JSON that opens in headless Chromium without console errors', async () => {
    const report = classificationReport(yTrue, yPred);
    const ci = bootstrapMacroF1(yTrue, yPred, { resamples: 200, seed: 3 });
    const { htmlPath, jsonPath } = await writeReport(dir, {
      title: 'Speech emotion <run 42> & "friends"',
      sections: [
        { kind: 'text', title: 'Summary', text: 'Model <script>alert(1)</script> evaluated on 120 clips.' },
        { kind: 'keyValue', title: 'Settings', entries: { model: 'cnn-small', epochs: 20, seed: 7, augment: false } },
        { kind: 'metrics', title: 'Headline numbers', metrics: [{ name: 'accuracy', value: report.accuracy }, intervalMetric('macro F1', ci)] },
        classificationReportSection(report),
        { kind: 'chart', title: 'Confusion matrix', spec: charts.confusion },
        { kind: 'chart', title: 'ROC', spec: charts.roc, format: 'png' },
        { kind: 'chart', spec: charts.training },
      ],
    });
    const html = readFileSync(htmlPath, 'utf8');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('Speech emotion &lt;run 42&gt; &amp; &quot;friends&quot;');
    expect(html).not.toMatch(/(src|href)="https?:/);
    const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
    expect(json.sections[2].metrics[1]).toMatchObject({ name: 'macro F1', value: ci.estimate, interval: [ci.lower, ci.upper] });

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const problems = watchPageProblems(page);
      await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
      expect(await page.title()).toBe('Speech emotion <run 42> & "friends"');
      const images = await page.$$eval('img', (imgs) => imgs.map((i) => ({ ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth })));
      expect(images).toHaveLength(3);
      expect(images.every((i) => i.ok)).toBe(true);
      expect(await page.$$eval('table', (t) => t.length)).toBe(3);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
