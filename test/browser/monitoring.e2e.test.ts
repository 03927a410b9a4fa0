import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { resolveModel } from '../../src/models/model-repository.js';
import { liveMonitoring } from '../../src/monitoring/live.js';
import { shippedBatch } from '../../src/monitoring/shipped.js';
import { observationsOf } from '../../src/monitoring/simulate.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { buildDashboard } from '../helpers/dashboard-build.js';
import { FakeApp } from '../helpers/fake-app.js';

/**
 * The dashboard's Monitoring view in headless Chromium: a clean and a shifted (darker photos) stream
 * fed through the process's live monitoring over 15 simulated minutes; the view shows their history
 * charts, the drifting features, and the input-drift alert firing for the shifted stream only.
 */
describe('Monitoring view in headless Chromium', () => {
  let app: FakeApp;
  let gw: Gateway;
  let browser: Browser;

  beforeAll(async () => {
    const v = resolveModel('animal');
    const clean = observationsOf((await shippedBatch(v, 'heldOut', { predict: false })).observations);
    const dark = observationsOf((await shippedBatch(v, 'heldOut', { transformRgb: (rgb) => Buffer.from(rgb.map((x) => x >> 1)), predict: false })).observations);
    const t0 = Date.now() - 20 * 60_000;
    const rnd = mulberry32(5); // photos drawn at random from the held-out split (it is ordered by class)
    for (let i = 0; i < 1500; i++) {
      const t = t0 + i * 800; // 1,500 photos over 20 minutes
      liveMonitoring!.observe('cam-clean', v, clean[Math.floor(rnd() * clean.length)], undefined, t);
      liveMonitoring!.observe('cam-dark', v, dark[Math.floor(rnd() * dark.length)], undefined, t);
    }
    const dist = await buildDashboard();
    app = new FakeApp({ streams: [], ratePerStream: 0 });
    await app.start();
    gw = await createGateway(app, { port: 0, dashboardDir: dist, env: {} });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await app?.stop();
  });

  it('shows history charts per stream and model, drifting features, and the firing alert', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${gw.url}/#/monitoring`);
    await page.waitForSelector('.monitor-card', { timeout: 10_000 });
    const dark = page.locator('[data-monitor="cam-dark/animal"]');
    const clean = page.locator('[data-monitor="cam-clean/animal"]');
    expect(await dark.locator('h3').textContent()).toContain('drifting');
    expect(await clean.locator('h3').textContent()).not.toContain('drifting');
    // History over time: a polyline with one point per evaluated window.
    const points = (await dark.locator('svg.mon-chart polyline').first().getAttribute('points'))!.split(' ');
    expect(points.length).toBeGreaterThan(5);
    expect(await dark.locator('.mon-features tr.drift td:first-child').allTextContents()).toContain('brightness');
    expect(await clean.locator('.mon-features tr.drift').count()).toBe(0);
    const alerts = await page.locator('.alerts li').allTextContents();
    expect(alerts.some((a) => a.includes('StreamlensInputDrift') && a.includes('cam-dark'))).toBe(true);
    expect(alerts.some((a) => a.includes('cam-clean'))).toBe(false);
    expect(await page.locator('nav a[data-route="monitoring"]').getAttribute('class')).toContain('active');
    expect(errors).toEqual([]);
  });
});
