// Diagnosis for live benchmarks: poll a warmroute sidecar's admin /status
// while a run lasts and append what `pick` takes from each document to a
// JSONL file in the run's work directory (never on the request path).
import { createWriteStream } from 'node:fs';

/** The parts of the status document the watchers read. */
export interface StatusDocument {
  queue: unknown[];
  decisions: Array<{ requestId: string }>;
}

export function watchStatus(adminUrl: string, file: string, everyMs: number, pick: (status: StatusDocument) => readonly unknown[]): { stop(): Promise<void> } {
  const out = createWriteStream(file);
  const poll = (): Promise<void> =>
    fetch(`${adminUrl}/status`)
      .then((r) => r.json() as Promise<StatusDocument>)
      .then((s) => {
        for (const line of pick(s)) out.write(JSON.stringify(line) + '\n');
      })
      .catch(() => undefined);
  const timer = setInterval(() => void poll(), everyMs);
  return {
    // One last look before the sidecar stops, so the run's final decisions are in the file too.
    async stop() {
      clearInterval(timer);
      await poll();
      await new Promise<void>((r) => out.end(r));
    },
  };
}
