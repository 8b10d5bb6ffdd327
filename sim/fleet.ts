// A fleet: several simulated servers described in one YAML file.
import { parse } from 'yaml';
import { FleetSpec } from './spec.ts';
import { startSim, type RunningSim } from './server.ts';

export interface RunningFleet {
  sims: RunningSim[];
  close(): Promise<void>;
}

export function parseFleet(yamlText: string): FleetSpec {
  return FleetSpec.parse(parse(yamlText));
}

export async function startFleet(fleet: FleetSpec): Promise<RunningFleet> {
  const sims: RunningSim[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(sims.map((s) => s.close()));
  };
  try {
    for (const backend of fleet.backends) sims.push(await startSim(backend));
  } catch (err) {
    // A port clash halfway must not leave the first servers running.
    await close();
    throw err;
  }
  return { sims, close };
}
