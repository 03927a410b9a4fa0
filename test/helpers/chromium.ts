/**
 * Headless Debian Chromium for tests (playwright-core, no downloaded browser).
 * Install it with: flock /tmp/apt.lock sh -c 'apt-get update -qq; apt-get install -y -qq chromium'
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type LaunchOptions, type Page } from 'playwright-core';

/** Path of the system Chromium used by every browser test. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags that keep Chromium headless, offline and quiet in CI-like sandboxes. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launch options for playwright-core's chromium.launch(). */
export function chromiumLaunchOptions(): LaunchOptions {
  return { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS };
}

/** Launch headless Chromium; throws a clear error if the Debian package is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}; install it with: flock /tmp/apt.lock sh -c 'apt-get update -qq; apt-get install -y -qq chromium'`,
    );
  }
  return chromium.launch(chromiumLaunchOptions());
}

/**
 * Collects what a self-contained page must not do: console errors and warnings, page errors and
 * requests other than file: / data: URLs. Returns the live list (empty = clean).
 */
export function watchPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (!/^(file|data):/.test(r.url())) problems.push(`external request: ${r.url()}`);
  });
  return problems;
}
