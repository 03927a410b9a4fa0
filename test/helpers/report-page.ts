/** Opens a written report page in headless Chromium and collects what should never happen there. */
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium } from './chromium.js';

/**
 * Loads `htmlPath`, runs `inspect` on the page, and returns the console errors and warnings, page
 * errors and requests to anything but file: / data: URLs that happened meanwhile.
 */
export async function reportPageProblems(htmlPath: string, inspect: (page: Page) => Promise<void> = async () => {}): Promise<string[]> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!/^(file|data):/.test(r.url())) problems.push(`external request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    await inspect(page);
    return problems;
  } finally {
    await browser.close();
  }
}
