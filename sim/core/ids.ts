// Random ids in the style real servers use (chatcmpl-<32 alnum>, resp_…, msg_…).
import { randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomId(prefix: string, length = 32): string {
  let out = prefix;
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

export function unixSeconds(ms = Date.now()): number {
  return Math.floor(ms / 1000);
}
