/**
 * Token masks for tool calling. `required` (or a named tool): the call grammar holds from the first token. `auto`:
 * a lazy grammar, as llama.cpp's server has one. The first token either starts along the opener (the answer is a
 * call: the grammar holds from that token) or leaves it at its first byte (the answer is text). In text, the model
 * writes freely until its text ends with part of the opener; from there a token goes on along the opener or leaves
 * it at its first byte, and once the whole opener is written the call grammar holds to the end. So text or call is
 * the model's own choice, and a call, once begun, is valid against its tool's parameters by construction.
 * Cost of the first-token rule: in `auto`, an answer cannot start with a token that starts like the opener but
 * leaves it (e.g. `<div` for `<tool_call>`); models trained on the syntax have the opener as one token.
 * The masks see the syntax's control tokens through their text (see syntax-vocabulary.ts), so `[TOOL_CALLS]` as one
 * token and spelled out are both allowed where the opener is. A lead token (Llama 3.1's `<|python_tag|>`), which
 * is not part of the call text, is allowed before a call's first token and begins the call.
 */
import { DEAD, type TokenMasks } from "../../grammar/mod.ts";

const encoder = new TextEncoder();

/** Per (vocabulary, opener): for each opener position k, the tokens that leave the opener at their first byte. */
const leavingByTrie = new WeakMap<object, Map<string, Uint32Array[]>>();

function leavingMasks(masks: TokenMasks, opener: Uint8Array): Uint32Array[] {
  let byOpener = leavingByTrie.get(masks.trie);
  if (!byOpener) leavingByTrie.set(masks.trie, (byOpener = new Map()));
  const key = opener.join(",");
  let out = byOpener.get(key);
  if (out) return out;
  out = [];
  for (let k = 0; k < opener.length; k++) {
    const mask = new Uint32Array(masks.words);
    for (let t = 0; t < masks.trie.vocab; t++) {
      const bytes = masks.trie.tokenBytes(t);
      if (bytes.length === 0 || bytes[0] !== opener[k]) mask[t >> 5]! |= 1 << (t & 31);
    }
    for (const t of masks.endTokens) mask[t >> 5]! |= 1 << (t & 31);
    out.push(mask);
  }
  byOpener.set(key, out);
  return out;
}

/** One choice's tool-call masks and parser position. */
export class ToolCallMasks {
  /** Call-grammar state; meaningful once `active`. */
  #state: number;
  /** True once the grammar holds (from the start for `required`). */
  #active: boolean;
  /** Bytes of the opener the text ends with, while not active. */
  #pending = 0;
  /** Before the first token of a lazy grammar: a token along the opener makes the answer a call. */
  #first: boolean;
  readonly #opener: Uint8Array;
  readonly #leaving: Uint32Array[];
  /** Call-grammar state after each opener prefix. */
  readonly #afterPrefix: number[];
  readonly #union: Uint32Array;
  /** True while the lead token may still come (before the call's first token). */
  #leadOpen: boolean;
  readonly #withLead: Uint32Array;
  /** How the call began: with a control token of the syntax, or in text; undefined while no call began. */
  #opened: "token" | "text" | undefined;

  constructor(
    /** Masks of the call grammar (opener, call object, closer) over the model's vocabulary. */
    private readonly masks: TokenMasks,
    /** The trigger: text that begins the calls (a prefix of their text, e.g. `<tool_call>`), named "opener" here. */
    opener: string,
    /** `auto`: the grammar waits for the opener. */
    lazy: boolean,
    /** Ids of the syntax's control tokens (they carry their text in the masks' vocabulary). */
    private readonly controlTokens: ReadonlySet<number> = new Set(),
    /** The lead token's id, when the syntax has one and the model has it as one token. */
    private readonly lead?: number,
  ) {
    const { automaton } = masks;
    this.#state = automaton.start;
    this.#active = !lazy;
    this.#first = lazy;
    this.#opener = encoder.encode(opener);
    this.#leaving = lazy ? leavingMasks(masks, this.#opener) : [];
    this.#afterPrefix = [...this.#opener].map((_, k) => automaton.walk(automaton.start, this.#opener, 0, k));
    this.#union = new Uint32Array(lazy ? masks.words : 0);
    this.#leadOpen = lead !== undefined;
    this.#withLead = new Uint32Array(lead === undefined ? 0 : masks.words);
  }

  /** How the call began (`token`: with one of the syntax's control tokens); undefined: no call began. */
  get opened(): "token" | "text" | undefined {
    return this.#opened;
  }

  /** This step's allowed tokens; undefined: any. */
  mask(): Uint32Array | undefined {
    if (this.#active) return this.#plusLead(this.masks.mask(this.#state));
    if (this.#pending === 0 && !this.#first) return undefined;
    const along = this.masks.mask(this.#afterPrefix[this.#pending]!), leaving = this.#leaving[this.#pending]!, union = this.#union;
    for (let i = 0; i < union.length; i++) union[i] = along[i]! | leaving[i]!;
    return this.#plusLead(union);
  }

  /** `mask` with the lead token allowed while it may come. */
  #plusLead(mask: Uint32Array): Uint32Array {
    const lead = this.lead;
    if (!this.#leadOpen || lead === undefined) return mask;
    this.#withLead.set(mask);
    this.#withLead[lead >> 5]! |= 1 << (lead & 31);
    return this.#withLead;
  }

  /** Advances by the chosen token; false when the call grammar refuses it. */
  accept(token: number): boolean {
    const { masks } = this;
    const { automaton } = masks;
    const first = this.#first;
    this.#first = false;
    if (masks.endTokens.includes(token)) return !this.#active || automaton.accepting(this.#state);
    if (this.#leadOpen && token === this.lead) {
      this.#leadOpen = false;
      this.#active = true;
      this.#state = automaton.start;
      this.#pending = 0;
      this.#opened = "token";
      return true;
    }
    const bytes = masks.trie.tokenBytes(token);
    if (first && bytes.length > 0 && bytes[0] === this.#opener[0]) this.#active = true;
    if (this.#active) {
      this.#leadOpen = false;
      this.#opened ??= this.controlTokens.has(token) ? "token" : "text";
      this.#state = bytes.length === 0 ? DEAD : automaton.walk(this.#state, bytes);
      return this.#state !== DEAD;
    }
    const text = new Uint8Array(this.#pending + bytes.length);
    text.set(this.#opener.subarray(0, this.#pending));
    text.set(bytes, this.#pending);
    const at = indexOf(text, this.#opener);
    if (at >= 0) {
      this.#active = true;
      this.#leadOpen = false;
      this.#opened = this.controlTokens.has(token) ? "token" : "text";
      this.#state = automaton.walk(automaton.start, text, at);
      return this.#state !== DEAD;
    }
    this.#pending = endingPrefix(text, this.#opener);
    return true;
  }
}

function indexOf(text: Uint8Array, part: Uint8Array): number {
  outer: for (let i = 0; i + part.length <= text.length; i++) {
    for (let j = 0; j < part.length; j++) if (text[i + j] !== part[j]) continue outer;
    return i;
  }
  return -1;
}

/** Length of the longest suffix of `text` that is a proper prefix of `part`. */
function endingPrefix(text: Uint8Array, part: Uint8Array): number {
  outer: for (let n = Math.min(part.length - 1, text.length); n > 0; n--) {
    for (let j = 0; j < n; j++) if (text[text.length - n + j] !== part[j]) continue outer;
    return n;
  }
  return 0;
}
