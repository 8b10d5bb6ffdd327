// Simulated LLM backends for e2e tests, the demo and benchmarks.
export type { SimKind, SimModelSpec, SimSpec } from './spec.ts';
export { FleetSpec, SimSpecSchema, SIM_KINDS } from './spec.ts';
export { startSim, type RunningSim, type SimStats } from './server.ts';
export { parseFleet, startFleet, type RunningFleet } from './fleet.ts';
