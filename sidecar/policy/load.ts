// Parse and validate a policy from YAML text. Errors carry YAML line/column.
import { LineCounter, parseDocument, isMap, isSeq, type Node as YamlNode } from 'yaml';

import { Policy } from './schema.ts';

export interface PolicyProblem {
  path: string;
  message: string;
  line?: number;
  col?: number;
}

export class PolicyError extends Error {
  constructor(readonly problems: PolicyProblem[], readonly source: string) {
    super(`invalid policy ${source}:\n` + problems.map((p) => `  ${p.line ? `${p.line}:${p.col} ` : ''}${p.path || '(root)'}: ${p.message}`).join('\n'));
  }
}

export function parsePolicy(text: string, source = '<policy>'): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new PolicyError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: '', message: e.message.split('\n')[0] ?? e.message, line: pos?.line, col: pos?.col };
      }),
      source,
    );
  }
  const result = Policy.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  throw new PolicyError(
    result.error.issues.map((issue) => {
      const path = issue.path.map(String);
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      const node = nodeAt(doc.contents as YamlNode | null, issue.path as Array<string | number>, keys[0]);
      const pos = node ? lines.linePos(node) : undefined;
      return { path: path.join('.'), message: issue.message, line: pos?.line, col: pos?.col };
    }),
    source,
  );
}

/** Find the YAML node at a zod issue path (or the key node of an unknown key) to report its position. */
function nodeAt(root: YamlNode | null, path: Array<string | number>, unknownKey?: string): number | undefined {
  let node: unknown = root;
  let offset: number | undefined = (root as { range?: [number] } | null)?.range?.[0];
  for (const seg of [...path, ...(unknownKey ? [unknownKey] : [])]) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === String(seg));
      if (!pair) break;
      offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
      node = pair.value;
      if (seg !== unknownKey) offset = (node as { range?: [number] } | null)?.range?.[0] ?? offset;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (!item) break;
      node = item;
      offset = (item as { range?: [number] }).range?.[0] ?? offset;
    } else break;
  }
  return offset;
}


