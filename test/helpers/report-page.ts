/** Opens a self-contained HTML report in Chromium and collects what a clean page must not have. */
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, watchPageProblems } from './chromium.js';

/**
 * The page after `load`, and its problems: console errors and warnings, uncaught page errors, and any
 * request that is not file: or data: (a report embeds everything).
 */
export async function openReportPage(browser: Browser, htmlPath: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems = watchPageProblems(page);
  await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
  return { page, problems };
}

/** Launches Chromium, loads `htmlPath`, runs `inspect` on the page, and returns the problems seen meanwhile. */
export async function reportPageProblems(htmlPath: string, inspect: (page: Page) => Promise<void> = async () => {}): Promise<string[]> {
  const browser = await launchChromium();
  try {
    const { page, problems } = await openReportPage(browser, htmlPath);
    await inspect(page);
    return problems;
  } finally {
    await browser.close();
  }
}
