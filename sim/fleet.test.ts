import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseFleet, startFleet } from './index.ts';
import { getJson } from './testing/http.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('fleets', () => {
  it('parses the demo fleet: 4 backends on fixed ports 18101..18104', () => {
    const fleet = parseFleet(readFileSync(path.join(here, 'fleets/demo.yaml'), 'utf8'));
    expect(fleet.backends.map((b) => [b.kind, b.port])).toEqual([
      ['omlx', 18101],
      ['ollama', 18102],
      ['llama-swap', 18103],
      ['llama-server', 18104],
    ]);
    expect(fleet.backends[0]?.models).toHaveLength(4);
    expect(fleet.backends[1]?.maxLoaded).toBe(2);
    expect(fleet.backends[2]).toMatchObject({ maxLoaded: 1 });
    expect(fleet.backends[2]?.models).toHaveLength(2);
  });

  it('every fleet file in sim/fleets parses', () => {
    const files = readdirSync(path.join(here, 'fleets')).filter((f) => f.endsWith('.yaml'));
    expect(files).toContain('demo.yaml');
    for (const f of files) expect(() => parseFleet(readFileSync(path.join(here, 'fleets', f), 'utf8')), f).not.toThrow();
  });

  it('rejects unknown keys, unknown kinds and duplicate names', () => {
    expect(() => parseFleet('backends: [{ name: a, kind: openai, models: [{id: m}], slotz: 2 }]')).toThrow();
    expect(() => parseFleet('backends: [{ name: a, kind: tgi, models: [{id: m}] }]')).toThrow();
    expect(() => parseFleet('backends: [{ name: a, kind: openai, models: [{id: m}] }, { name: a, kind: openai, models: [{id: m}] }]')).toThrow();
    expect(() => parseFleet('backends: [{ kind: openai, models: [{id: m}] }]')).toThrow();
  });

  it('starts every backend of a YAML fleet and closes them all', async () => {
    const fleet = parseFleet(`
backends:
  - { name: a, kind: openai, models: [{ id: m1 }] }
  - { name: b, kind: ollama, maxLoaded: 1, timeScale: 0.01, models: [{ id: "x:1b" }, { id: "y:1b", loaded: true }] }
  - { name: c, kind: llama-swap, timeScale: 0.01, models: [{ id: c1 }, { id: c2 }] }
`);
    const { sims, close } = await startFleet(fleet);
    try {
      expect(sims.map((s) => s.spec.name)).toEqual(['a', 'b', 'c']);
      expect((await getJson(`${sims[0]?.url}/v1/models`)).status).toBe(200);
      expect((await getJson(`${sims[1]?.url}/api/ps`)).json).toMatchObject({ models: [{ name: 'y:1b' }] });
      expect((await getJson(`${sims[2]?.url}/running`)).json).toEqual({ running: [] });
    } finally {
      await close();
    }
    await expect(fetch(`${sims[0]?.url}/health`)).rejects.toThrow();
  });

  it('a port clash fails the fleet without leaving servers behind', async () => {
    const first = await startFleet(parseFleet('backends: [{ name: a, kind: openai, models: [{ id: m }] }]'));
    const port = first.sims[0]?.port ?? 0;
    try {
      await expect(
        startFleet(parseFleet(`backends: [{ name: b, kind: openai, port: 0, models: [{ id: m }] }, { name: c, kind: openai, port: ${port}, models: [{ id: m }] }]`)),
      ).rejects.toThrow();
    } finally {
      await first.close();
    }
  });
});
