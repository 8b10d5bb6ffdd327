// Just enough of the Prometheus text format to read a few gauges: samples
// with optional labels. Lines that do not parse are skipped, never fatal: a
// server adding an odd metric must not make the backend look down.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:]*/;

function parseValue(token: string): number | undefined {
  if (token === 'NaN') return undefined;
  if (token === '+Inf' || token === 'Inf') return Infinity;
  if (token === '-Inf') return -Infinity;
  // Number('') is 0 and Number('0x10') is 16: neither is a Prometheus value.
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(token)) return undefined;
  return Number(token);
}

/** Labels from just after `{`; returns them and the index after `}`, or undefined when malformed. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } | undefined {
  const labels: Record<string, string> = {};
  let i = start;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const key = NAME.exec(line.slice(i))?.[0];
    if (!key) return undefined;
    i += key.length;
    while (line[i] === ' ') i++;
    if (line[i] !== '=' || line[i + 1] !== '"') return undefined;
    i += 2;
    let value = '';
    while (i < line.length && line[i] !== '"') {
      if (line[i] === '\\' && i + 1 < line.length) {
        const next = line[i + 1];
        value += next === 'n' ? '\n' : next;
        i += 2;
      } else {
        value += line[i];
        i++;
      }
    }
    if (line[i] !== '"') return undefined;
    labels[key] = value;
    i++;
  }
}

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (!name) continue;
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') {
      const parsed = parseLabels(line, i + 1);
      if (!parsed) continue;
      labels = parsed.labels;
      i = parsed.end;
    }
    const valueToken = line.slice(i).trim().split(/\s+/)[0] ?? '';
    const value = parseValue(valueToken);
    if (value === undefined) continue;
    out.push({ name, labels, value });
  }
  return out;
}

/** Sum of the finite, non-negative samples named `name` that match `where`; undefined when there is none. */
export function sumSamples(samples: Sample[], name: string, where: (labels: Record<string, string>) => boolean = () => true): number | undefined {
  let found = false;
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name || !Number.isFinite(s.value) || s.value < 0 || !where(s.labels)) continue;
    found = true;
    sum += s.value;
  }
  return found ? sum : undefined;
}

/** A gauge that counts requests, as a whole number (vLLM prints `3.0`). */
export function countOf(samples: Sample[], name: string, where?: (labels: Record<string, string>) => boolean): number | undefined {
  const sum = sumSamples(samples, name, where);
  return sum === undefined ? undefined : Math.round(sum);
}
