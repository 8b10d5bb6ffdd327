// A real headless Chromium for browser tests: CHROMIUM_BIN, else the first of
// the usual names on PATH (Debian's `chromium` package; .ci/run installs it).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_BIN, ...(process.env.PATH ?? '').split(delimiter).flatMap((d) => NAMES.map((n) => join(d, n)))];
  return candidates.find((p): p is string => {
    if (!p) return false;
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('No Chromium found: install Debian\'s `chromium` (apt-get install -y chromium) or set CHROMIUM_BIN.');
  return puppeteer.launch({
    executablePath,
    headless: true,
    // --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
    protocolTimeout: 120_000,
  });
}
