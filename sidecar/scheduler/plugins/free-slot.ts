// Filter: a slot is free, counting other clients' requests where the server
// reports them. A warm backend with no free slot is not a warm choice: the
// request would only queue inside the server (Olla #216, "loaded is not free").
import { ADMIT, refuse, type Filter } from '../framework.ts';

export const FREE_SLOT = 'free-slot';

export const freeSlotFilter: Filter = {
  name: FREE_SLOT,
  check: (_p, b) => (b.freeSlots > 0 ? ADMIT : refuse(`no free slot (${b.load}/${b.view.slots} busy)`)),
};
