/** Phrase lists are matched on the folded view, so their phrases go through the same pipeline once, at compile time. */
import { foldedText } from "../normalize.ts";

/**
 * Each phrase as the stream will see it: NFKC, invisibles and marks dropped, look-alikes folded, whitespace runs as
 * one space, trimmed (so `café`, `cafe\u0301` and `cafe` are one phrase). An empty result means nothing can match it.
 */
export function normalisePhrases(phrases: readonly string[]): string[] {
  return phrases.map((p) => foldedText(p).trim());
}
