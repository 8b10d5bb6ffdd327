// Filter: the backend lists the model (or discovers models and unlisted ones are allowed).
import { ADMIT, refuse, type Filter } from '../framework.ts';

export const SERVES_MODEL = 'serves-model';

export const servesModelFilter: Filter = {
  name: SERVES_MODEL,
  check: (p, b, cycle) => (cycle.isCandidate(b.name, p.model) ? ADMIT : refuse(`does not serve ${p.model}`)),
};
