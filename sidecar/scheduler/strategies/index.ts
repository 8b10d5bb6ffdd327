// The strategies by their policy name.
import type { Strategy as StrategyName } from '../../policy/schema.ts';
import { agingBonusStrategy } from './aging-bonus.ts';
import { fifoStrategy } from './fifo.ts';
import { leastConnectionsStrategy } from './least-connections.ts';
import { randomStrategy } from './random.ts';
import { roundRobinStrategy } from './round-robin.ts';
import type { Strategy } from './strategy.ts';
import { warmFirstStrategy } from './warm-first.ts';

export const STRATEGIES: Readonly<Record<StrategyName, Strategy>> = {
  'warm-first': warmFirstStrategy,
  fifo: fifoStrategy,
  'round-robin': roundRobinStrategy,
  'least-connections': leastConnectionsStrategy,
  random: randomStrategy,
  'aging-bonus': agingBonusStrategy,
};

export type { Choice, Strategy } from './strategy.ts';
