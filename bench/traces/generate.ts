// Writes the committed traces in bench/traces/*.jsonl from fixed seeds, so
// each can be regenerated and reviewed: `npx tsx bench/traces/generate.ts`.
// Each trace's first line says what it represents.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../sidecar/util/seeded-random.ts';
import { formatTraceLine, formatTraceMeta, type TraceRequestInput } from '../../sidecar/replay/trace.ts';

const DIR = fileURLToPath(new URL('./', import.meta.url));

interface Built {
  name: string;
  description: string;
  requests: TraceRequestInput[];
}

function write(t: Built): void {
  const lines = [formatTraceMeta(t.name, t.description), ...t.requests.map(formatTraceLine)];
  writeFileSync(`${DIR}${t.name}.jsonl`, lines.join('\n') + '\n');
  console.log(`${t.name}.jsonl: ${t.requests.length} requests`);
}

function intBetween(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/** Exponential inter-arrival gap (Poisson arrivals) with the given mean. */
function expGap(rand: () => number, meanMs: number): number {
  return -Math.log(1 - rand()) * meanMs;
}

/**
 * (a) An orchestrator on its own model plans a round, then polls briefly
 * while three sub-agents (two explorers, one coder, each a chain of steps on
 * its model) work in parallel; the next round starts when all have reported.
 */
function agentic(): Built {
  const rand = seededRandom(0xa9e47);
  const requests: TraceRequestInput[] = [];
  let previousRoundEnds: string[] = [];
  for (let round = 1; round <= 4; round++) {
    const plan = `r${round}-plan`;
    requests.push({
      id: plan,
      model: 'orch',
      session: 'orch',
      ...(previousRoundEnds.length > 0 ? { after: previousRoundEnds, gap_ms: 100 } : { at_ms: 0 }),
      prompt_tokens: 2000 + round * 800,
      output_tokens: intBetween(rand, 60, 120),
    });
    const ends: string[] = [];
    const agents = [
      { name: 'e1', model: 'explore' },
      { name: 'e2', model: 'explore' },
      { name: 'c1', model: 'code' },
    ];
    for (const a of agents) {
      let prev = plan;
      const steps = intBetween(rand, 3, 5);
      for (let s = 1; s <= steps; s++) {
        const id = `r${round}-${a.name}-s${s}`;
        requests.push({ id, model: a.model, session: `r${round}-${a.name}`, after: prev, gap_ms: intBetween(rand, 50, 300), prompt_tokens: 1200 + s * 600, output_tokens: intBetween(rand, 80, 240) });
        prev = id;
      }
      ends.push(prev);
    }
    // The orchestrator checks on its sub-agents a few times while they run.
    let prevPoll = plan;
    for (let p = 1; p <= 4; p++) {
      const id = `r${round}-poll${p}`;
      requests.push({ id, model: 'orch', session: 'orch', after: prevPoll, gap_ms: 800, prompt_tokens: 400, output_tokens: 10 });
      prevPoll = id;
    }
    previousRoundEnds = [...ends, prevPoll];
  }
  return {
    name: 'agentic',
    description:
      '(a) Agentic: an orchestrator (model orch) plans each of 4 rounds, then polls every 0.8 s while two explorer sub-agents (model explore) and a coder (model code) run 3-5 dependent steps each; the next round starts when all have reported (closed loop via after).',
    requests,
  };
}

/** (b) Many chat sessions, one of them hot: a third of all turns belong to one conversation. */
function skewedChat(): Built {
  const rand = seededRandom(0xb0b);
  const requests: TraceRequestInput[] = [];
  let t = 0;
  const turns = new Map<string, number>();
  for (let i = 0; i < 240; i++) {
    t += expGap(rand, 500);
    const session = rand() < 0.33 ? 'hot' : `s${intBetween(rand, 1, 24)}`;
    const turn = (turns.get(session) ?? 0) + 1;
    turns.set(session, turn);
    requests.push({ id: `q${i + 1}`, model: 'chat', session, at_ms: Math.round(t), prompt_tokens: 500 + turn * 300, output_tokens: intBetween(rand, 40, 200) });
  }
  return { name: 'skewed-chat', description: '(b) Multi-session chat with skew: 240 turns over ~2 minutes from 25 conversations on one model, one hot conversation sends a third of them.', requests };
}

/** (c) A popular model in steady use, and a rare one asked a handful of times. */
function rareModel(): Built {
  const rand = seededRandom(0xc0c);
  const requests: TraceRequestInput[] = [];
  let t = 0;
  for (let i = 0; i < 200; i++) {
    t += expGap(rand, 400);
    const rare = i % 40 === 25;
    requests.push({ id: `${rare ? 'rare' : 'pop'}${i + 1}`, model: rare ? 'rare' : 'popular', session: rare ? `rare${i}` : `p${intBetween(rand, 1, 12)}`, at_ms: Math.round(t), prompt_tokens: intBetween(rand, 300, 3000), output_tokens: intBetween(rand, 30, 150) });
  }
  return { name: 'rare-model', description: '(c) A rare model amid a popular one: 200 requests over ~80 s, 5 of them for the rare model, on boxes that hold one model at a time.', requests };
}

/** (d) Chat traffic with embedding bursts (a RAG indexer) every ~15 s. */
function embeddingBursts(): Built {
  const rand = seededRandom(0xd0d);
  const requests: TraceRequestInput[] = [];
  let t = 0;
  let n = 0;
  for (let i = 0; i < 150; i++) {
    t += expGap(rand, 400);
    requests.push({ id: `chat${++n}`, model: rand() < 0.7 ? 'chat' : 'coder', session: `c${intBetween(rand, 1, 10)}`, at_ms: Math.round(t), prompt_tokens: intBetween(rand, 400, 2500), output_tokens: intBetween(rand, 30, 160) });
  }
  for (let burst = 0; burst < 4; burst++) {
    const start = 5_000 + burst * 15_000;
    for (let j = 0; j < 24; j++)
      requests.push({ id: `emb${burst + 1}-${j + 1}`, model: 'embed', at_ms: start + j * 20, prompt_tokens: intBetween(rand, 200, 500), output_tokens: 0, stream: false, api: 'embeddings' });
  }
  requests.sort((a, b) => (a.at_ms ?? 0) - (b.at_ms ?? 0));
  return { name: 'embedding-bursts', description: '(d) Embeddings bursts mixed with chat: two chat models in steady use, and every 15 s an indexer sends 24 embedding requests within half a second.', requests };
}

/**
 * (e) A compressed day: 12 minutes of trace time, 6 models of unequal
 * popularity, load following a diurnal curve with idle gaps at "night".
 */
function day(): Built {
  const rand = seededRandom(0xe0e);
  const models = ['qwen-coder', 'llama-8b', 'gemma-12b', 'mistral-7b', 'phi-mini', 'embed'];
  const weights = [0.35, 0.25, 0.15, 0.1, 0.08, 0.07];
  const pick = (): string => {
    let x = rand();
    for (let i = 0; i < models.length; i++) {
      x -= weights[i]!;
      if (x < 0) return models[i]!;
    }
    return models[0]!;
  };
  const DURATION = 12 * 60_000;
  const requests: TraceRequestInput[] = [];
  let t = 0;
  let n = 0;
  for (;;) {
    // Rate: a sine "day" peaking mid-trace (1.5 req/s), nearly idle at both ends; thinned Poisson arrivals.
    t += expGap(rand, 1000 / 1.5);
    if (t >= DURATION) break;
    const phase = Math.sin((Math.PI * t) / DURATION);
    const rate = phase * phase;
    if (rand() > rate || (t > 0.2 * DURATION && t < 0.27 * DURATION)) continue; // lunch: idle gap
    const model = pick();
    const emb = model === 'embed';
    requests.push({ id: `d${++n}`, model, session: emb ? undefined : `u${intBetween(rand, 1, 40)}`, at_ms: Math.round(t), prompt_tokens: intBetween(rand, 200, 4000), output_tokens: emb ? 0 : intBetween(rand, 20, 300), ...(emb ? { api: 'embeddings' as const, stream: false } : {}) });
  }
  return { name: 'day', description: '(e) A compressed day: 12 minutes, 6 models of unequal popularity, arrivals following a diurnal curve (quiet start and end, an idle gap at "lunch") on three boxes that hold fewer models than are asked for.', requests };
}

/** (f) Five models on three slots (Layr-Labs/d-inference #789): rare models displace popular ones under LRU. */
function fiveOnThree(): Built {
  const rand = seededRandom(0xf0f);
  const models = ['m-popular', 'm-second', 'm-third', 'm-rare1', 'm-rare2'];
  const weights = [0.6, 0.25, 0.12, 0.015, 0.015];
  const requests: TraceRequestInput[] = [];
  let t = 0;
  for (let i = 0; i < 300; i++) {
    t += expGap(rand, 600);
    let x = rand();
    let m = models[0]!;
    for (let k = 0; k < models.length; k++) {
      x -= weights[k]!;
      if (x < 0) {
        m = models[k]!;
        break;
      }
    }
    requests.push({ id: `f${i + 1}`, model: m, session: `u${intBetween(rand, 1, 20)}`, at_ms: Math.round(t), prompt_tokens: intBetween(rand, 300, 2000), output_tokens: intBetween(rand, 20, 120) });
  }
  return { name: 'five-on-three', description: '(f) Five models on three model slots (after Layr-Labs/d-inference #789): 300 requests, 3 % of them for two rare models that, under plain LRU, displace popular ones.', requests };
}

/** (g) Aider architect mode (llama-swap #19): two models alternate turn by turn in one closed loop. */
function architectEditor(): Built {
  const rand = seededRandom(0x919);
  const requests: TraceRequestInput[] = [];
  let prev: string | undefined;
  for (let task = 1; task <= 3; task++)
    for (let turn = 1; turn <= 8; turn++) {
      const model = turn % 2 === 1 ? 'architect' : 'editor';
      const id = `t${task}-${turn}-${model}`;
      requests.push({ id, model, session: `task${task}`, ...(prev ? { after: prev, gap_ms: intBetween(rand, 200, 1500) } : { at_ms: 0 }), prompt_tokens: 1500 + turn * 400, output_tokens: intBetween(rand, 100, 300) });
      prev = id;
    }
  // Two other developers' independent chats share the fleet.
  for (let i = 0; i < 30; i++) requests.push({ id: `side${i + 1}`, model: i % 3 === 0 ? 'editor' : 'architect', session: `dev${(i % 2) + 2}`, at_ms: 1000 + i * 1500, prompt_tokens: 800, output_tokens: intBetween(rand, 40, 120) });
  return { name: 'architect-editor', description: '(g) Aider architect mode (llama-swap #19): an architect model and an editor model alternate in one closed loop over 3 tasks while two other developers chat with both.', requests };
}

for (const t of [agentic(), skewedChat(), rareModel(), embeddingBursts(), day(), fiveOnThree(), architectEditor()]) write(t);
