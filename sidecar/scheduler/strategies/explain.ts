// Why a request waits, in words for the queue snapshot.
import type { Rejection } from '../framework.ts';
import { SERVES_MODEL } from '../plugins/serves-model.ts';

/** "b1: no free slot (2/2 busy); b2: unhealthy" — backends that do not serve the model are left out. */
export function describeRejections(rejections: readonly Rejection[]): string {
  return rejections
    .filter((r) => !r.failures.some((f) => f.filter === SERVES_MODEL))
    .map((r) => `${r.backend.name}: ${r.failures.map((f) => f.reason).join(', ')}`)
    .join('; ');
}
