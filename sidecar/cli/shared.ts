// Pieces every `warmroute` subcommand uses: reading a policy file, waiting for
// Ctrl-C, and the usage error that prints the help text.
import { readFileSync } from 'node:fs';
import { parsePolicy } from '../policy/load.ts';
import type { Policy } from '../policy/schema.ts';

export function loadPolicy(file: string): Policy {
  return parsePolicy(readFileSync(file, 'utf8'), file);
}

export function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (s: string) => () => resolve(s);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });
}

export class UsageError extends Error {}
