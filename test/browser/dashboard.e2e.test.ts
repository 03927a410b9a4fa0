import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/core/paths.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { buildDashboard } from '../helpers/dashboard-build.js';
import { EMOTIONS, FakeApp } from '../helpers/fake-app.js';
import { fakeMicrophoneWav } from '../helpers/speech-wav.js';

const OUT = join(repoRoot, 'test-output');

describe('live dashboard in headless Chromium', () => {
  let app: FakeApp;
  let gw: Gateway;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const [dist, wav] = await Promise.all([buildDashboard(), Promise.resolve(fakeMicrophoneWav())]);
    app = new FakeApp({ streams: [{ id: 'demo-voice', media: 'audio' }, { id: 'demo-camera', media: 'video' }, { id: 'demo-courses', media: 'course' }], ratePerStream: 3 });
    await app.start();
    // A fresh start: no course analysis report yet; the app can write one on request (fake: a small page).
    app.writeCourseReport = async (dir: string) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'report.html'), '<!doctype html><title>report</title><h1>Courses, analysed on request</h1>');
    };
    gw = await createGateway(app, { port: 0, dashboardDir: dist, courseReportDir: join(mkdtempSync(join(tmpdir(), 'streamlens-e2e-')), 'courses'), env: {} });
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`, '--autoplay-policy=no-user-gesture-required'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    // Records every text drawn on a canvas (uPlot draws its axis labels there) to check the time axis reads clock times.
    await page.addInitScript(() => {
      const drawn: string[] = ((window as unknown as { __drawnTexts: string[] }).__drawnTexts = []);
      const fillText = CanvasRenderingContext2D.prototype.fillText;
      CanvasRenderingContext2D.prototype.fillText = function (text: string, x: number, y: number, maxWidth?: number) {
        if (drawn.length < 5000) drawn.push(String(text));
        return maxWidth === undefined ? fillText.call(this, text, x, y) : fillText.call(this, text, x, y, maxWidth);
      };
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await app?.stop();
  });

  it('loads, shows predictions for every stream within 10 s, and the system panel', async () => {
    await page.goto(gw.url);
    await page.waitForFunction(() => {
      const label = document.querySelector('[data-stream="demo-voice"] .big-label')?.textContent;
      const frame = document.querySelector<HTMLImageElement>('[data-stream="demo-camera"] img.frame')?.src ?? '';
      const courses = document.querySelectorAll('[data-stream="demo-courses"] .feed li').length;
      return label && label !== 'waiting…' && frame.startsWith('data:image/jpeg;base64,') && courses > 0;
    }, undefined, { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelectorAll('.system tbody tr').length > 0 && document.querySelector('.system .uplot') !== null, undefined, { timeout: 10_000 });
    expect(await page.textContent('#conn')).toBe('live');
    const emotion = (await page.textContent('[data-stream="demo-voice"] .big-label'))!;
    expect([...EMOTIONS, 'silence']).toContain(emotion);
    expect(await page.locator('[data-stream="demo-courses"] .term').count()).toBeGreaterThan(0);
  });

  it("the latency chart's time axis reads clock times HH:MM:SS, never fractional seconds", async () => {
    // Wait for a few seconds of history so the axis has several ticks.
    await page.waitForFunction(() => (window as unknown as { __drawnTexts: string[] }).__drawnTexts.filter((t) => /^\d\d:\d\d:\d\d$/.test(t)).length >= 2, undefined, { timeout: 15_000 });
    const texts = await page.evaluate(() => (window as unknown as { __drawnTexts: string[] }).__drawnTexts);
    expect(texts.filter((t) => /^\d\d:\d\d:\d\d$/.test(t)).length).toBeGreaterThanOrEqual(2);
    expect(texts.filter((t) => /^:\d\d\.\d+$|^\d+\.\d{3}$/.test(t))).toEqual([]);
  });

  it('course terms are readable words, titles have their full name on hover and in a detail view', async () => {
    const terms = await page.locator('[data-stream="demo-courses"] .feed li:first-child .term').allTextContents();
    // the fake's explanation leads with the stop word "of" and the internal log_price_per_hour
    expect(terms[0]).toBe('−price per hour');
    expect(terms.some((t) => /^[+−]of$/.test(t) || t.includes('_'))).toBe(false);
    // the feed keeps prepending: hold on to one item's element
    const item = (await page.locator('[data-stream="demo-courses"] .feed li').first().elementHandle())!;
    const title = (await (await item.$('.feed-title'))!.textContent())!;
    expect(await item.getAttribute('title')).toBe(title);
    expect(await page.locator('[data-stream="demo-courses"] h2').getAttribute('title')).toBe('demo-courses');
    const detail = (await item.$('.feed-detail'))!;
    expect(await detail.isVisible()).toBe(false);
    await item.click();
    expect(await detail.isVisible()).toBe(true);
    expect(await (await item.$('.feed-full-title'))!.textContent()).toBe(title);
  });

  it('"Use my microphone" streams real speech from the fake device and emotion predictions appear', async () => {
    await page.click('#use-mic');
    const tile = page.locator('.tile[data-stream^="mic-"]');
    await tile.waitFor({ timeout: 10_000 });
    await page.waitForFunction(() => {
      const label = document.querySelector('.tile[data-stream^="mic-"] .big-label')?.textContent;
      return label !== undefined && label !== 'waiting…' && label !== 'silence';
    }, undefined, { timeout: 20_000 });
    expect(EMOTIONS).toContain(await tile.locator('.big-label').textContent());
    // The gateway received 16 kHz PCM with a speech-like level (the fake app measures it).
    expect(app.ingested.audioSamples).toBeGreaterThanOrEqual(16_000);
    const level = Number((await tile.locator('.level-text').textContent())!.replace(/[^-\d.]/g, ''));
    expect(level).toBeGreaterThan(-45);
    expect(level).toBeLessThan(0);
  });

  it('"Use my webcam" sends JPEG frames and the analysed frame shows', async () => {
    await page.click('#use-cam');
    await page.waitForFunction(() => (document.querySelector<HTMLImageElement>('.tile[data-stream^="cam-"] img.frame')?.src ?? '').startsWith('data:image/jpeg'), undefined, { timeout: 15_000 });
    expect(app.ingested.frames).toBeGreaterThan(0);
    await page.screenshot({ path: join(OUT, 'dashboard-desktop.png'), fullPage: true });
  });

  it('works at phone size and has no console errors', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    // Nothing wider than the screen (no sideways scrolling) once the layout has settled.
    await page.waitForFunction(() => document.documentElement.scrollWidth <= window.innerWidth, undefined, { timeout: 5000 });
    await page.screenshot({ path: join(OUT, 'dashboard-phone.png'), fullPage: true });
    await page.goto(`${gw.url}/#/models`);
    await page.waitForSelector('.model-card');
    expect(await page.locator('a[href="/reports/emotion/1"]').count()).toBe(1);
    // which version serves which stream, and its evaluation with the split it came from
    const emotion = page.locator('.model-card', { hasText: 'emotion' }).locator('li[data-version="1"]');
    expect(await page.locator('.model-card h3', { hasText: 'emotion' }).textContent()).toContain('serving v1');
    expect(await emotion.locator('.serves').textContent()).toMatch(/^serves: demo-voice\b/);
    const evaluation = (await emotion.locator('.evaluation').textContent())!;
    expect(evaluation).toContain('accuracy 58.5%');
    expect(evaluation).toContain('macro-F1 58.0%');
    expect(evaluation).toContain('leave-speakers-out');
    expect(evaluation).toContain('recall: neutral 55.6%');
    expect(consoleErrors).toEqual([]);
  });
  it('Course analysis on a fresh start: "Write the report now" writes it and the tab shows it', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${gw.url}/#/courses`);
    const button = page.locator('button.write-course-report');
    await button.waitFor();
    await button.click();
    const frame = page.frameLocator('iframe.report-frame');
    await frame.locator('h1', { hasText: 'Courses, analysed on request' }).waitFor({ timeout: 10_000 });
  });
});
