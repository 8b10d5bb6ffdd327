// Deterministic filler text. Real tiny models emit meaningless bytes; a fixed
// word cycle keeps test output stable and readable.
const WORDS = [' lorem', ' ipsum', ' dolor', ' sit', ' amet', ',', ' consectetur', ' adipiscing', ' elit', '.'];

export function fillerToken(index: number): string {
  return WORDS[index % WORDS.length] ?? ' lorem';
}

/** Rough token count of a prompt: about four characters per token, at least one. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Deterministic unit-length embedding derived from the text. */
export function embeddingFor(text: string, dims = 64): number[] {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  const raw: number[] = [];
  for (let i = 0; i < dims; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    raw.push((h / 0xffffffff) * 2 - 1);
  }
  const norm = Math.sqrt(raw.reduce((s, x) => s + x * x, 0)) || 1;
  return raw.map((x) => x / norm);
}
