// Abortable sleeping. Every simulated wait goes through here so that a client
// disconnect or a server close() cancels it at once.
import { setTimeout as sleep } from 'node:timers/promises';

export async function delay(ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  if (ms <= 0) return;
  await sleep(ms, undefined, signal ? { signal } : undefined);
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');
}
