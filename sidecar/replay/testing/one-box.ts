// One simulated box and its policy, for hand-worked bound cases: loads take
// loadInitMs + size at 1 GB/s, a request 100 ms to its first token and 100 ms
// per token after it.
import { Policy } from '../../policy/schema.ts';
import { buildFleetModel, type ServerModel } from '../fleet-model.ts';

export function oneBox(kind: 'llama-swap' | 'ollama', maxModels: number, slots: number, sizesGB: Record<string, number>): { policy: Policy; fleet: ServerModel[] } {
  const models = Object.keys(sizesGB);
  const policy = Policy.parse({ backends: [{ name: 'x', kind, url: 'http://10.0.0.1:80', models, slots, max_models: maxModels }] });
  const fleet = buildFleetModel(policy, {
    backends: [{ name: 'x', kind, maxLoaded: maxModels, slots, loadInitMs: 1000, loadGBps: 1, ttftMs: 100, tokensPerSec: 10, models: models.map((id) => ({ id, sizeGB: sizesGB[id]! })) }],
  });
  return { policy, fleet };
}
