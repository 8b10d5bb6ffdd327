// A single-pass JSON validator that returns the raw byte ranges of selected
// top-level keys without building the document. Agentic request bodies run to
// hundreds of KB and are mostly string content: string bodies are skipped with
// Buffer.indexOf (memchr), so the cost is close to copying the body once,
// where a full JSON.parse would allocate every message and tool definition.
//
// What is checked: UTF-8 (one native pass) and the whole structure (objects,
// arrays, commas, colons, literals, numbers, string termination, control
// characters outside strings). What is not: escape sequences and raw control
// characters inside strings — checking them costs a byte loop and a call per
// escape (about 4x this scanner's time on an escape-heavy 375 KB agentic body);
// the backend checks those, and routing decodes (and so checks) the few small
// values it reads itself.

export interface ScanResult {
  /** Raw value ranges [start, end) of the wanted top-level keys (last occurrence wins, like JSON.parse). */
  values: Map<string, [number, number]>;
  /** For wanted array keys: ranges of their first elements (up to `maxElements`). */
  elements: Map<string, Array<[number, number]>>;
  /** For wanted array keys: how many elements the array has, and how many of them are not objects. */
  counts: Map<string, ElementCount>;
}

export interface ElementCount {
  elements: number;
  nonObjects: number;
}

import { isUtf8 } from 'node:buffer';

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at byte ${offset}`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_DEPTH = 512;

const enum Ctx {
  ObjectKeyOrEnd, // after '{'
  ObjectKey, // after ','
  ObjectColon,
  ObjectValue,
  ObjectCommaOrEnd,
  ArrayValueOrEnd, // after '['
  ArrayValue, // after ','
  ArrayCommaOrEnd,
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Index of the closing quote of the string whose opening quote is at `open`. */
function stringEnd(buf: Buffer, open: number): number {
  let i = open + 1;
  for (;;) {
    const q = buf.indexOf(QUOTE, i);
    if (q < 0) throw new JsonSyntaxError('unterminated string', open);
    // An odd run of backslashes before the quote escapes it.
    let k = q - 1;
    while (k > open && buf[k] === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q;
    i = q + 1;
  }
}

function literalEnd(buf: Buffer, i: number): number {
  const c = buf[i]!;
  const tryWord = (w: string): number => {
    for (let k = 0; k < w.length; k++) if (buf[i + k] !== w.charCodeAt(k)) throw new JsonSyntaxError('invalid literal', i);
    return i + w.length;
  };
  if (c === 0x74) return tryWord('true');
  if (c === 0x66) return tryWord('false');
  if (c === 0x6e) return tryWord('null');
  // number: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
  let j = i;
  if (buf[j] === 0x2d) j++;
  const digits = (): void => {
    const s = j;
    while (j < buf.length && buf[j]! >= 0x30 && buf[j]! <= 0x39) j++;
    if (j === s) throw new JsonSyntaxError('invalid number', i);
  };
  if (buf[j] === 0x30) j++;
  else digits();
  if (buf[j] === 0x2e) {
    j++;
    digits();
  }
  if (buf[j] === 0x65 || buf[j] === 0x45) {
    j++;
    if (buf[j] === 0x2b || buf[j] === 0x2d) j++;
    digits();
  }
  return j;
}

/**
 * Validate `buf` as one JSON object and collect the ranges of `wanted` top-level keys.
 * `elementsOf` names top-level array keys whose first `maxElements` element ranges are wanted.
 */
export function scanJsonObject(buf: Buffer, wanted: ReadonlySet<string>, elementsOf: ReadonlySet<string> = new Set(), maxElements = 0): ScanResult {
  const values = new Map<string, [number, number]>();
  const elements = new Map<string, Array<[number, number]>>();
  const counts = new Map<string, ElementCount>();
  const stack: Ctx[] = [];
  if (!isUtf8(buf)) throw new JsonSyntaxError('body is not valid UTF-8', 0);
  let i = 0;
  const n = buf.length;
  while (i < n && isWs(buf[i]!)) i++;
  if (buf[i] !== 0x7b) throw new JsonSyntaxError('body is not a JSON object', i);

  // Top-level bookkeeping.
  let currentKey: string | undefined; // key whose value is being read at depth 1
  let valueStart = -1;
  let elemList: Array<[number, number]> | undefined; // elements being collected (depth 2)
  let elemCount: ElementCount | undefined; // counted alongside elemList
  let elemStart = -1;

  const valueDone = (end: number): void => {
    // Called when a value ends; stack top is the container the value was in.
    const depth = stack.length;
    if (depth === 1 && currentKey !== undefined) {
      values.set(currentKey, [valueStart, end]);
      currentKey = undefined;
    } else if (depth === 2 && elemList !== undefined && elemStart >= 0) {
      if (elemList.length < maxElements) elemList.push([elemStart, end]);
      elemStart = -1;
    }
  };
  const valueBegins = (at: number): void => {
    if (stack.length === 1 && currentKey !== undefined) valueStart = at;
    if (stack.length === 2 && elemList !== undefined) {
      elemStart = at;
      elemCount!.elements++;
      if (buf[at] !== 0x7b) elemCount!.nonObjects++;
    }
  };

  stack.push(Ctx.ObjectKeyOrEnd);
  i++;
  while (stack.length > 0) {
    while (i < n && isWs(buf[i]!)) i++;
    if (i >= n) throw new JsonSyntaxError('unexpected end of body', i);
    const c = buf[i]!;
    const top = stack[stack.length - 1]!;
    switch (top) {
      case Ctx.ObjectKeyOrEnd:
      case Ctx.ObjectKey: {
        if (c === 0x7d && top === Ctx.ObjectKeyOrEnd) {
          stack.pop();
          i++;
          if (stack.length > 0) {
            advanceAfterValue(stack);
            valueDone(i);
          }
          continue;
        }
        if (c !== QUOTE) throw new JsonSyntaxError('expected a key', i);
        const e = stringEnd(buf, i);
        if (stack.length === 1) {
          // Keys are compared decoded, as the backend will read them: "mod\u0065l" is "model".
          const rawKey = buf.toString('utf8', i + 1, e);
          const key = rawKey.includes('\\') ? decodeKey(buf, i, e) : rawKey;
          if (wanted.has(key) || elementsOf.has(key)) currentKey = key;
        }
        stack[stack.length - 1] = Ctx.ObjectColon;
        i = e + 1;
        continue;
      }
      case Ctx.ObjectColon:
        if (c !== 0x3a) throw new JsonSyntaxError("expected ':'", i);
        stack[stack.length - 1] = Ctx.ObjectValue;
        i++;
        continue;
      case Ctx.ObjectCommaOrEnd:
      case Ctx.ArrayCommaOrEnd: {
        const isObj = top === Ctx.ObjectCommaOrEnd;
        if (c === 0x2c) {
          stack[stack.length - 1] = isObj ? Ctx.ObjectKey : Ctx.ArrayValue;
          i++;
          continue;
        }
        if (c === (isObj ? 0x7d : 0x5d)) {
          stack.pop();
          i++;
          if (stack.length === 1 && elemList !== undefined && !isObj) elemList = undefined;
          if (stack.length > 0) {
            advanceAfterValue(stack);
            valueDone(i);
          }
          continue;
        }
        throw new JsonSyntaxError(isObj ? "expected ',' or '}'" : "expected ',' or ']'", i);
      }
      case Ctx.ArrayValueOrEnd:
        if (c === 0x5d) {
          stack.pop();
          i++;
          if (stack.length === 1) elemList = undefined;
          advanceAfterValue(stack);
          valueDone(i);
          continue;
        }
      // falls through: a value
      case Ctx.ObjectValue:
      case Ctx.ArrayValue: {
        valueBegins(i);
        if (c !== 0x5b && stack.length === 1 && currentKey !== undefined && elementsOf.has(currentKey)) {
          // A later duplicate key that is not an array replaces the earlier array, as in JSON.parse.
          elements.delete(currentKey);
          counts.delete(currentKey);
        }
        if (c === 0x7b || c === 0x5b) {
          if (stack.length >= MAX_DEPTH) throw new JsonSyntaxError('nesting too deep', i);
          if (c === 0x5b && stack.length === 1 && currentKey !== undefined && elementsOf.has(currentKey)) {
            elemList = [];
            elemCount = { elements: 0, nonObjects: 0 };
            elements.set(currentKey, elemList);
            counts.set(currentKey, elemCount);
          }
          stack.push(c === 0x7b ? Ctx.ObjectKeyOrEnd : Ctx.ArrayValueOrEnd);
          i++;
          continue;
        }
        const end = c === QUOTE ? stringEnd(buf, i) + 1 : literalEnd(buf, i);
        i = end;
        advanceAfterValue(stack);
        valueDone(end);
        continue;
      }
    }
  }
  while (i < n && isWs(buf[i]!)) i++;
  if (i !== n) throw new JsonSyntaxError('trailing data after the JSON object', i);
  return { values, elements, counts };
}

function advanceAfterValue(stack: Ctx[]): void {
  const t = stack[stack.length - 1];
  if (t === Ctx.ObjectValue) stack[stack.length - 1] = Ctx.ObjectCommaOrEnd;
  else if (t === Ctx.ArrayValue || t === Ctx.ArrayValueOrEnd) stack[stack.length - 1] = Ctx.ArrayCommaOrEnd;
}

function decodeKey(buf: Buffer, open: number, close: number): string {
  try {
    return JSON.parse(buf.toString('utf8', open, close + 1)) as string;
  } catch {
    throw new JsonSyntaxError('invalid escape in a key', open);
  }
}
