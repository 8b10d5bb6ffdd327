// Takes docs/dashboard.png from the real dashboard page: the demo fleet
// (sim/fleets/demo.yaml + policies/demo.yaml) behind a real Envoy, with a
// model load in progress and requests waiting in the queue.
//   npx tsx scripts/dashboard-screenshot.ts [out.png]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startGateway } from '../e2e/harness.ts';
import { launchChromium } from '../e2e/browser.ts';
import { parseFleet } from '../sim/index.ts';
import type { PolicyInput } from '../sidecar/policy/schema.ts';
import { PROJECT_ROOT } from '../sidecar/util/project-root.ts';

const out = process.argv[2] ?? join(PROJECT_ROOT, 'docs', 'dashboard.png');
const fleet = parseFleet(readFileSync(join(PROJECT_ROOT, 'sim', 'fleets', 'demo.yaml'), 'utf8'));
const demo = parse(readFileSync(join(PROJECT_ROOT, 'policies', 'demo.yaml'), 'utf8')) as PolicyInput;

const gw = await startGateway({
  sims: Object.fromEntries(fleet.backends.map(({ port: _port, ...b }) => [b.name, b])),
  policy: { ...demo, backends: demo.backends.map((b) => ({ ...b, url: `sim:${b.name}` })) },
});
const chat = (model: string, maxTokens: number, session?: string) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(session ? { 'x-session-id': session } : {}) },
    body: JSON.stringify({ model, max_tokens: maxTokens, messages: [{ role: 'user', content: 'hello' }] }),
  })
    .then((r) => r.text())
    .catch((e: unknown) => `(cut when the script stopped: ${String(e)})`);

const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 1100, deviceScaleFactor: 1 });
  await page.goto(`http://127.0.0.1:${gw.sidecar!.adminPort}/`);
  await page.waitForSelector('tr[data-state="warm"]', { timeout: 30_000 });
  const pending: Array<Promise<string>> = [];
  // Some finished history first: decisions and a completed load in the timeline.
  await Promise.all([chat('qwen3-coder-30b', 5, 'alice'), chat('qwen2.5-coder-7b', 5, 'bob'), chat('bge-m3', 3)]);
  // A long answer on the warm coder, a cold 27B that starts loading, and more
  // 1.5B requests than mini-llama-server has slots: those queue.
  pending.push(chat('qwen3-coder-30b', 600, 'alice'), chat('gemma-3-27b', 200, 'carol'));
  for (let i = 0; i < 6; i++) pending.push(chat('qwen2.5-coder-1.5b', 600, `dev-${i}`));
  await page.waitForSelector('#queue tbody tr[data-request]', { timeout: 30_000 });
  await page.waitForSelector('tr[data-state="loading"]', { timeout: 30_000 });
  await new Promise((r) => setTimeout(r, 1500)); // let a couple of live updates land
  await page.screenshot({ path: out, fullPage: true });
  console.error(`wrote ${out}`);
  await page.close();
} finally {
  await browser.close();
  await gw.stop();
}
