// Reading a replay's inputs from files: the trace, the policy and the fleet
// (a sim fleet YAML, or derived from the policy when absent).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseFleet } from '../../sim/fleet.ts';
import { parsePolicy } from '../policy/load.ts';
import type { Policy } from '../policy/schema.ts';
import { buildFleetModel, type ServerModel } from './fleet-model.ts';
import { parseTrace, type Trace } from './trace.ts';

export interface ReplayInputs {
  trace: Trace;
  policy: Policy;
  fleet: ServerModel[];
}

export function readTrace(file: string): Trace {
  return parseTrace(readFileSync(file, 'utf8'), file, basename(file).replace(/\.jsonl$/, ''));
}

export function readInputs(traceFile: string, policyFile: string, fleetFile?: string): ReplayInputs {
  const trace = readTrace(traceFile);
  const policy = parsePolicy(readFileSync(policyFile, 'utf8'), policyFile);
  const fleet = buildFleetModel(policy, fleetFile ? parseFleet(readFileSync(fleetFile, 'utf8')) : undefined);
  return { trace, policy, fleet };
}
