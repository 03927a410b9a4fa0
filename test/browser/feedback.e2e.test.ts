import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/bus/envelope.js';
import type { StageInput } from '../../src/bus/stage-runner.js';
import { preprocessImage } from '../../src/features/image/preprocess.js';
import { parseImageFeatureSettings } from '../../src/features/image/settings.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { loadClassifier } from '../../src/inference/classifier-loader.js';
import { ClassifierPool } from '../../src/inference/classifier-pool.js';
import { featureKeyOf } from '../../src/models/manifest.js';
import { resolveModel } from '../../src/models/model-repository.js';
import { ShadowQueue } from '../../src/inference/shadow-queue.js';
import { tensorInferenceStage } from '../../src/inference/stage.js';
import { shippedSplits } from '../../src/monitoring/shipped.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { buildDashboard } from '../helpers/dashboard-build.js';
import { FakeApp } from '../helpers/fake-app.js';

/**
 * Feedback through the dashboard in headless Chromium: "right?" on the camera tile of the Live view
 * (yes, then another label), and the Monitoring view's accuracy and confusion matrix of that model
 * version updating by themselves; the shadow section shows the agreement of a real shadow scoring
 * (the shipped animal model as its own shadow on held-out photos, in this process).
 */
const TOKEN = 'dashboard-feedback-token-0123';

describe('feedback from the Live view, quality in the Monitoring view (Chromium)', () => {
  let app: FakeApp;
  let gw: Gateway;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  let photos = 0;
  const answered: string[] = [];

  beforeAll(async () => {
    // A real shadow scoring in this process: its agreement is what GET /api/monitoring serves.
    const v = resolveModel('animal');
    const settings = parseImageFeatureSettings(v.manifest.features.settings as Parameters<typeof parseImageFeatureSettings>[0]);
    const pool = new ClassifierPool(loadClassifier, { maxBatchSize: 8, maxWaitMs: 2, reloadIntervalMs: 0 });
    const shadowPool = new ClassifierPool(loadClassifier, { maxBatchSize: 8, maxWaitMs: 2, reloadIntervalMs: 0 });
    const queue = new ShadowQueue(256);
    const stage = tensorInferenceStage('video', pool, { fallback: { model: 'animal' } }, { versions: { animal: v.manifest.version }, pool: shadowPool, queue });
    const files = (shippedSplits(v).heldOut as string[]).filter((_, i) => i % 10 === 0).slice(0, 16);
    const batch: StageInput[] = [];
    for (const [seq, f] of files.entries()) {
      const t = await preprocessImage(f, settings);
      const message: Message = { type: 'video.tensor', env: { streamId: 'cam-e2e', seq, capturedAt: Date.now(), route: { model: 'animal' } }, meta: { shape: [...t.shape], encoding: 'f32', featureKey: featureKeyOf(v.manifest.features) }, data: t.data };
      batch.push({ message, source: { timestamp: Date.now() } as StageInput['source'] });
    }
    await stage.process(batch);
    await queue.idle();
    photos = files.length;
    await pool.close();
    await shadowPool.close();

    const dist = await buildDashboard();
    app = new FakeApp({ streams: [{ id: 'cam-1', media: 'video' }], ratePerStream: 2, seed: 11 });
    await app.start();
    gw = await createGateway(app, { port: 0, dashboardDir: dist, env: { STREAMLENS_TOKEN: TOKEN } });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await app?.stop();
  });

  /** Answers the camera tile's "right?" control: yes, or the first label that is not the predicted one. Returns [true label, predicted]. */
  async function answer(right: boolean): Promise<[string, string]> {
    const control = page.locator('[data-stream="cam-1"] .feedback');
    await control.waitFor({ state: 'visible', timeout: 15_000 });
    // A prediction not answered yet (the control follows the tile's latest prediction).
    await page.waitForFunction((ids) => !ids.includes(document.querySelector('[data-stream="cam-1"] .feedback')?.getAttribute('data-prediction-id') ?? ''), answered, { timeout: 10_000 });
    // Start answering as a user does (focus on the control): from then on it stays on the prediction it shows.
    const input = control.locator(right ? '.fb-yes' : 'select.fb-label');
    await input.focus();
    const [question, id] = await control.evaluate((el) => [el.querySelector('.fb-question')!.textContent!, el.getAttribute('data-prediction-id')!]);
    answered.push(id);
    const predicted = question.replace(/ right\?$/, '');
    const response = page.waitForResponse((r) => r.url().endsWith('/api/feedback') && r.request().method() === 'POST');
    let truth = predicted;
    if (right) await input.click();
    else {
      truth = (await input.locator('option').nth(1).getAttribute('value'))!;
      expect(truth).not.toBe(predicted);
      await input.selectOption(truth);
    }
    const r = await response;
    expect(r.request().postDataJSON()).toEqual({ predictionId: id, label: truth }); // the prediction that was on screen
    expect(r.status(), await r.text()).toBe(201);
    expect(await r.json()).toMatchObject({ label: truth, predicted, counted: true, model: 'animal', version: '1' });
    return [truth, predicted];
  }

  it('feedback given on the Live view shows as accuracy and confusion matrix of the version, and they update', async () => {
    await page.goto(`${gw.url}/#token=${TOKEN}`); // the sign-in page takes the token, then the dashboard opens
    await page.waitForFunction(() => document.getElementById('conn')?.textContent === 'live', undefined, { timeout: 20_000 });
    errors.length = 0; // the sign-in page's own 401 is not an error of the dashboard
    await page.goto(`${gw.url}/#/monitoring`);
    await page.waitForSelector('.quality .no-feedback', { timeout: 10_000 });

    await page.goto(`${gw.url}/#/`);
    const given = [await answer(true)];
    given.push(await answer(false));

    await page.goto(`${gw.url}/#/monitoring`);
    const card = page.locator('[data-quality="animal/1"]');
    await card.waitFor({ timeout: 10_000 });
    expect(await card.locator('.quality-summary').textContent()).toMatch(/^accuracy 50\.0 % \(95 % CI [\d.]+ %–[\d.]+ %\) on 2 feedbacks/);
    const cell = (truth: string, predicted: string) => card.locator(`table.confusion tr[data-label="${truth}"] td[data-predicted="${predicted}"]`);
    const expected = new Map<string, number>();
    for (const [t, p] of given) expected.set(`${t}|${p}`, (expected.get(`${t}|${p}`) ?? 0) + 1);
    for (const [k, n] of expected) expect(await cell(...(k.split('|') as [string, string])).textContent()).toBe(String(n));
    expect(await card.locator('svg.mon-chart polyline').getAttribute('points')).toMatch(/^\S+ \S+$/); // two points over time

    // One more through the Live view: the Monitoring view, shown again, has it.
    await page.goto(`${gw.url}/#/`);
    given.push(await answer(true));
    await page.goto(`${gw.url}/#/monitoring`);
    await page.waitForFunction(() => /on 3 feedbacks/.test(document.querySelector('[data-quality="animal/1"] .quality-summary')?.textContent ?? ''), undefined, { timeout: 10_000 });
    expect(await card.locator('.quality-summary').textContent()).toMatch(/^accuracy 66\.7 %/);
    const total = await card.locator('table.confusion td').allTextContents();
    expect(total.reduce((a, t) => a + Number(t), 0)).toBe(3);

    // The gateway agrees with what the view shows.
    const q = (await (await fetch(`${gw.url}/api/feedback`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { versions: { model: string; n: number; agreeing: number }[] };
    expect(q.versions.find((x) => x.model === 'animal')).toMatchObject({ n: 3, agreeing: 2 });

    // The shadow section: the animal model as its own shadow agreed on every held-out photo.
    const shadow = page.locator('.shadow-card').first();
    expect(await shadow.locator('h4').textContent()).toMatch(/^animal: served v\d+, shadow v\d+$/);
    expect(await shadow.locator('.shadow-summary').textContent()).toContain(`agreement 100.0 % on ${photos} items`);
    expect(errors).toEqual([]);
  });
});
