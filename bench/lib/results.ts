// Shared plumbing of the benchmark entry points: where results go, and running as a command.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** Write bench/results/<name>.json and <name>.md. */
export function writeResultFiles(name: string, result: unknown, markdown: string): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}${name}.json`, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(`${RESULTS_DIR}${name}.md`, markdown);
}

/** When `moduleUrl` is the script being run: run the benchmark and print its markdown. */
export function runIfMain<R>(moduleUrl: string, run: () => Promise<R>, toMarkdown: (r: R) => string): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  run()
    .then((r) => {
      process.stdout.write(toMarkdown(r));
      process.exit(0);
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
