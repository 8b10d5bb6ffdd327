// What the baselines share: the filters every strategy needs to send only
// requests a backend can take (health, model, pin, slots, max models, no
// cold model where the server will not load it), without warmroute's own
// rules; and a wait that says why.
import type { Evaluation, Filter } from '../framework.ts';
import { freeSlotFilter } from '../plugins/free-slot.ts';
import { healthyFilter } from '../plugins/healthy.ts';
import { loadsOnDemandFilter } from '../plugins/loads-on-demand.ts';
import { modelCapacityFilter } from '../plugins/model-capacity.ts';
import { pinnedFilter } from '../plugins/pinned.ts';
import { servesModelFilter } from '../plugins/serves-model.ts';
import { describeRejections } from './explain.ts';
import type { Choice } from './strategy.ts';

export const ESSENTIAL_FILTERS: readonly Filter[] = [healthyFilter, servesModelFilter, pinnedFilter, loadsOnDemandFilter, freeSlotFilter, modelCapacityFilter];

export function waitWhy(ev: Evaluation): Extract<Choice, { kind: 'wait' }> {
  return { kind: 'wait', why: describeRejections(ev.rejections) || 'no backend serves this model' };
}
