/** Deterministic 1–7 unit pieces averaging ~4, like a BPE tokenizer's output or streamed tool-call deltas. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let seed = 42;
  for (let i = 0; i < text.length;) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const len = 1 + (seed % 7);
    tokens.push(text.slice(i, i + len));
    i += len;
  }
  return tokens;
}
