#!/usr/bin/env node
// The warmroute command. Runs the TypeScript sources through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../sidecar/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
