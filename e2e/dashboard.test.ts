// The live dashboard in a real headless Chromium, against a real sidecar and
// Envoy with simulated backends: the page loads, lists the fleet, follows a
// model load as it happens (no reload), shows a queued request with the reason
// it waits, and runs without a script error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'puppeteer-core';
import { startGateway, type Gateway } from './harness.ts';
import { launchChromium } from './browser.ts';

let gw: Gateway;
let browser: Browser;
let page: Page;
const scriptErrors: string[] = [];
const WAIT = { timeout: 60_000 };

function chat(model: string, maxTokens: number): Promise<Response> {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, max_tokens: maxTokens, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

const row = (backend: string, model: string, state?: string) => `tr[data-backend="${backend}"][data-model="${model}"]${state ? `[data-state="${state}"]` : ''}`;

describe('dashboard in headless Chromium', () => {
  beforeAll(async () => {
    gw = await startGateway({
      sims: {
        // One GPU behind llama-swap: one model resident, one request at a time, a load of ~2.5 s.
        swap: { kind: 'llama-swap', models: [{ id: 'm1', loaded: true }, { id: 'm2', sizeGB: 4 }], maxLoaded: 1, slots: 1, tokensPerSec: 20, loadInitMs: 500, loadGBps: 2 },
        small: { kind: 'llama-server', models: [{ id: 'm3', loaded: true }], slots: 2 },
      },
      policy: {
        backends: [
          { name: 'swap', kind: 'llama-swap', url: 'sim:swap', models: ['m1', 'm2'], slots: 1, max_models: 1, probe: { interval_ms: 300 } },
          { name: 'small', kind: 'llama-server', url: 'sim:small', models: ['m3'], slots: 2, probe: { interval_ms: 300 } },
        ],
      },
    });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (e) => scriptErrors.push(`pageerror: ${String(e)}`));
    page.on('console', (m) => {
      if (m.type() === 'error') scriptErrors.push(`console: ${m.text()}`);
    });
    await page.setViewport({ width: 1400, height: 1000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('loads from the admin port and lists every backend × model with its state', async () => {
    const res = await page.goto(`http://127.0.0.1:${gw.sidecar!.adminPort}/`, { waitUntil: 'domcontentloaded' });
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'none'");
    await page.waitForSelector('#conn[data-state="live"]', WAIT);
    await page.waitForSelector(row('swap', 'm1', 'warm'), WAIT);
    await page.waitForSelector(row('small', 'm3', 'warm'), WAIT);
    expect(await page.$(row('swap', 'm2', 'cold'))).not.toBeNull();
    const cards = await page.$$eval('.backend', (els) => els.map((e) => e.getAttribute('data-backend')));
    expect(cards.sort()).toEqual(['small', 'swap']);
  }, 90_000);

  it('follows a model load live, and shows a request queued behind it with the reason it waits', async () => {
    const reloads: string[] = [];
    page.on('framenavigated', (f) => reloads.push(f.url()));
    // m2 is cold: this request starts a load and then holds swap's only slot while it generates.
    const loading = chat('m2', 30);
    await page.waitForSelector(row('swap', 'm2', 'loading'), WAIT);
    // m1 cannot start until swap's slot frees (and m2 unloads): it waits in the sidecar's queue.
    const queued = chat('m1', 2);
    await page.waitForSelector('#queue tbody tr[data-request]', WAIT);
    const why = await page.$eval('#queue tbody tr[data-request] td.why', (td) => td.textContent ?? '');
    expect(why.trim().length).toBeGreaterThan(0);
    expect(why).not.toBe('not yet considered');
    expect(await page.$eval('#queue tbody tr[data-request] td:nth-child(3)', (td) => td.textContent)).toBe('m1');
    // The load completes and the page shows it without being reloaded.
    await page.waitForSelector(row('swap', 'm2', 'warm'), WAIT);
    await page.waitForSelector('#timeline li[data-kind="load-started"][data-backend="swap"][data-model="m2"]', WAIT);
    // swap holds one model: loading m2 unloads m1, and the timeline says so.
    await page.waitForSelector('#timeline li[data-kind="unloaded"][data-backend="swap"][data-model="m1"]', WAIT);
    await page.waitForSelector('.lane[data-backend="swap"][data-model="m2"] .seg.warm', WAIT);
    expect((await loading).status).toBe(200);
    expect((await queued).status).toBe(200);
    // After both finish the queue empties, the decisions list both requests with a reason.
    await page.waitForFunction(() => document.querySelectorAll('#queue tbody tr').length === 0, WAIT);
    const reasons = await page.$$eval('#decisions tbody tr td:nth-child(4)', (tds) => tds.map((t) => t.textContent));
    expect(reasons).toContain('cold-load');
    expect(reloads).toEqual([]);
  }, 120_000);

  it('had no script errors', () => {
    expect(scriptErrors).toEqual([]);
  });
});
