// Structural comparison for tests: does a simulated answer have (at least) the
// keys and value types of the recorded one? Generated text is not compared.

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * Lists every path where `actual` lacks a key of `expected` or has another
 * value type. Array elements are compared index by index (extra actual
 * elements against the first expected one). Empty list = same shape (extra keys in `actual` are allowed).
 */
export function shapeDiff(expected: unknown, actual: unknown, at = '$', nullable: readonly string[] = []): string[] {
  const te = typeOf(expected);
  const ta = typeOf(actual);
  if (te !== ta) {
    if (nullable.some((p) => at.endsWith(p)) && (te === 'null' || ta === 'null')) return [];
    return [`${at}: expected ${te}, got ${ta}`];
  }
  if (te === 'array') {
    const list = expected as unknown[];
    if (list.length === 0) return [];
    return (actual as unknown[]).flatMap((a, i) => shapeDiff(list[i] ?? list[0], a, `${at}[${i}]`, nullable));
  }
  if (te === 'object') {
    const eo = expected as Record<string, unknown>;
    const ao = actual as Record<string, unknown>;
    return Object.keys(eo).flatMap((k) => (k in ao ? shapeDiff(eo[k], ao[k], `${at}.${k}`, nullable) : [`${at}.${k}: missing`]));
  }
  return [];
}
