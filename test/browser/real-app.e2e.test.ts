import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/app.js';
import { parseConfig } from '../../src/core/config.js';
import { repoRoot } from '../../src/core/paths.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { buildDashboard } from '../helpers/dashboard-build.js';
import { fakeMicrophoneWav } from '../helpers/speech-wav.js';

const OUT = join(repoRoot, 'test-output');
const EMOTIONS = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'];

/**
 * The real application (`npm start`: embedded bus, every stage, shipped models, demo streams)
 * in headless Chromium: predictions for the demo streams, and the browser-microphone path
 * producing emotion predictions from a real speech clip played by the fake media device.
 */
describe('npm start in headless Chromium (real app, real models)', () => {
  let app: App;
  let browser: Browser;
  let page: Page;
  let startedAt = 0;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    // The real app serves dashboard/dist (what `npm install` builds): build the current sources there.
    await buildDashboard(join(repoRoot, 'dashboard', 'dist'));
    const wav = fakeMicrophoneWav();
    startedAt = Date.now();
    app = await createApp(parseConfig({ gateway: { port: 0 } }), { demo: true });
    await app.start();
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`, '--autoplay-policy=no-user-gesture-required'],
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('shows real predictions for the demo streams within 10 s of start', async () => {
    await page.goto(app.url!);
    const remaining = Math.max(1000, 10_000 - (Date.now() - startedAt));
    await page.waitForFunction(
      () => {
        const voice = document.querySelector('[data-stream="demo-voice-1"] .big-label')?.textContent;
        const frame = document.querySelector<HTMLImageElement>('[data-stream="demo-camera"] img.frame')?.src ?? '';
        const courses = document.querySelectorAll('[data-stream="demo-courses"] .feed li').length;
        return !!voice && voice !== 'waiting…' && frame.startsWith('data:image/jpeg') && courses > 0;
      },
      undefined,
      { timeout: remaining + 5_000 },
    );
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    const voice = (await page.textContent('[data-stream="demo-voice-1"] .big-label'))!;
    expect([...EMOTIONS, 'silence']).toContain(voice);
    const animal = (await page.textContent('[data-stream="demo-camera"] .big-label'))!;
    expect(['cat', 'dog', 'fox', 'unknown']).toContain(animal);
  });

  it('"Use my microphone" streams real speech through the real pipeline and emotions appear', async () => {
    await page.click('#use-mic');
    const tile = page.locator('.tile[data-stream^="mic-"]');
    await tile.waitFor({ timeout: 10_000 });
    await page.waitForFunction(
      () => {
        const label = document.querySelector('.tile[data-stream^="mic-"] .big-label')?.textContent;
        return label !== undefined && label !== null && label !== 'waiting…' && label !== 'silence';
      },
      undefined,
      { timeout: 20_000 },
    );
    expect(EMOTIONS).toContain(await tile.locator('.big-label').textContent());
    // The gender model is served beside emotion: each speech window carries both.
    await page.waitForFunction(() => /voice: (female|male)/.test(document.querySelector('.tile[data-stream^="mic-"] .voice')?.textContent ?? ''), undefined, { timeout: 10_000 });
    await page.screenshot({ path: join(OUT, 'real-app-desktop.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
