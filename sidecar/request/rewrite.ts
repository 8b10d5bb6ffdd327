// Replace the top-level `model` value of a JSON body (per-backend model
// aliases). Only runs when a backend names the model differently.
import { scanJsonObject } from './json-scan.ts';

const MODEL = new Set(['model']);

export function rewriteModel(body: Buffer, newModel: string): Buffer {
  const r = scanJsonObject(body, MODEL).values.get('model');
  if (!r) return body;
  return Buffer.concat([body.subarray(0, r[0]), Buffer.from(JSON.stringify(newModel)), body.subarray(r[1])]);
}
