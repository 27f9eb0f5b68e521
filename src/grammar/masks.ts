/**
 * Token masks of one grammar over one vocabulary, and the per-sequence matcher that uses them.
 *
 * The mask of a parser state does not depend on anything but that state, and states are interned, so a mask is
 * computed once and then served from a bounded cache: generations of the same schema revisit the same states, so the
 * steady-state cost of a mask is one map lookup. A new narrow state costs one trie walk in the C kernel (walk.ts);
 * a wide one is assembled from frame analyses shared across states and grammars (src/grammar/README.md).
 */
import type { Kernels } from "../../ffi/kernels.ts";
import { walk } from "../../ffi/kernels.ts";
import { DEAD, GrammarAutomaton } from "./automaton.ts";
import { cacheShare } from "./budget.ts";
import { GrammarBuilder } from "./grammar.ts";
import { JsonRules } from "./json.ts";
import { bodyChars, CharRuns, tokenCharCounts } from "./runs.ts";
import { ContentPath, languageGrammar, languageKey, type ShapedLanguage, type ShapedRule, ShapedStarts, stateRows } from "./shaped.ts";
import type { TokenTrie } from "./trie.ts";
import { KernelWalk, walkerFor } from "./walk.ts";

/** Mask bytes kept per (grammar, vocabulary) before the cache starts over (all grammars: `budget.ts`). */
const MASK_CACHE_BYTES = 64 << 20;

/** Masks cut from one allocation (see `newMask`). */
const MASKS_PER_CHUNK = 4;

/** Chunks written ahead by `reserveMasks`, per mask length in words. */
const reserved = new Map<number, Uint32Array[]>();

/** The chunk new masks of each length are cut from, and how many words of it are used. */
const current = new Map<number, { chunk: Uint32Array; used: number }>();

/**
 * Writes `bytes` of mask memory ahead for vocabularies of `words`-word masks (model load: `prepareVocabulary`). Fresh
 * memory costs a page fault per 4 KB when first written, about 1.5 µs each on a virtual machine: ~10 µs for a 25 KB
 * mask, hundreds at once when the runtime zeroes a large new block. Written-ahead chunks cost neither.
 */
export function reserveMasks(words: number, bytes: number): void {
  let chunks = reserved.get(words);
  if (!chunks) reserved.set(words, (chunks = []));
  for (let n = Math.floor(bytes / (words * 4 * MASKS_PER_CHUNK)) - chunks.length; n > 0; n--) chunks.push(new Uint32Array(words * MASKS_PER_CHUNK).fill(0));
}

/**
 * Memory for one mask of `words` words (not zeroed: every caller writes the whole mask), cut from a chunk shared by
 * every grammar over vocabularies of that size: one allocation per MASKS_PER_CHUNK masks (a mask is 12–25 KB, which the
 * runtime allocates on a slow path), taken from the reserve while it lasts.
 */
function newMask(words: number): Uint32Array {
  let at = current.get(words);
  if (!at || at.used + words > at.chunk.length) current.set(words, (at = { chunk: reserved.get(words)?.pop() ?? new Uint32Array(words * MASKS_PER_CHUNK), used: 0 }));
  at.used += words;
  return at.chunk.subarray(at.used - words, at.used);
}

/** Stack frames (from the top) whose token acceptance is computed once and shared across contexts. */
const FRAME_DEPTH = 3;

/**
 * A state whose direct walk visits at most this many trie nodes is walked in TS (`compute`): reading the automaton's
 * own table, it needs no kernel table rows and no kernel stop per new transition, which cost more than the walk at
 * this size (cold p50 27 → 19 µs at cl100k_base, bench/grammar.bench.ts).
 */
const TS_WALK_NODES = 4096;

/** A direct trie walk visiting more nodes than this gives way to the frame path (narrow states stay direct). */
const DIRECT_WALK_NODES = 8192;

/** Rules a frame's structural key may span for it to be shared across grammars (`GrammarAutomaton.frameKey`). */
const SHARED_FRAME_RULES = 32;

/** Wide loops of a grammar analysed when its masks are created (each a walk over up to most of the vocabulary). */
const EAGER_LOOPS = 4;

/** A stack not yet covered by an analysis whose first bytes lead into at most this many trie nodes is walked directly. */
const NARROW_FRAME_NODES = 2048;

/** A shared one-frame analysis leaving more boundary tokens than this to check per state is not used. */
const SHARED_UNCERTAIN_TOKENS = 4096;

/** Distinct shared frames kept per vocabulary before that cache starts over. */
const SHARED_FRAMES = 512;

/**
 * One-frame analyses shared by every grammar over a vocabulary, keyed by the frame's structure: the body of a JSON
 * string (or any rule shaped alike) is walked once per process and vocabulary, not once per schema. null: analysed
 * and found not worth using.
 */
const sharedFrames = new WeakMap<TokenTrie, Map<string, Frame | null>>();

/**
 * Appends node range [from, to) to a sorted range list being built (ranges arrive by `from` ascending, longer
 * first): a range inside one already listed is dropped (walking the outer one covers it), and one starting at or
 * before the end of the last range at the same depth (a sibling: preorder puts nothing else there at that depth)
 * extends it, so that one kernel call walks consecutive siblings.
 */
function appendRange(out: number[], from: number, to: number, trie: TokenTrie): void {
  const n = out.length;
  if (n > 0 && to <= out[n - 1]!) return;
  if (n > 0 && out[n - 1]! >= from && trie.depth[out[n - 2]!] === trie.depth[from]) out[n - 1] = to;
  else out.push(from, to);
}

/** Range lists (each sorted) as one sorted list without overlaps (see `appendRange`). */
function boundaryRanges(lists: readonly Int32Array[], trie: TokenTrie): Int32Array {
  let total = 0;
  for (const list of lists) total += list.length / 2;
  // One numeric sort on packed keys (from ascending, then longer first) instead of comparing pairs; exact in a
  // double while the trie has fewer than 2^26 nodes (vocabularies are at most 2^24 tokens).
  const span = 2 ** Math.ceil(Math.log2(trie.size + 2));
  const keys = new Float64Array(total);
  let k = 0;
  for (const list of lists) {
    for (let r = 0; r < list.length; r += 2) keys[k++] = list[r]! * span + (span - 1 - (list[r + 1]! - list[r]!));
  }
  keys.sort();
  const out: number[] = [];
  for (let i = 0; i < total; i++) {
    const from = Math.floor(keys[i]! / span);
    appendRange(out, from, from + span - 1 - (keys[i]! - from * span), trie);
  }
  return Int32Array.from(out);
}

/** Two sorted range lists (each as `boundaryRanges` leaves them) merged in one pass. */
function mergeRanges(a: Int32Array, b: Int32Array, trie: TokenTrie): Int32Array {
  const out: number[] = [];
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    const takeA = j >= b.length || (i < a.length && (a[i]! < b[j]! || (a[i] === b[j] && a[i + 1]! >= b[j + 1]!)));
    if (takeA) {
      appendRange(out, a[i]!, a[i + 1]!, trie);
      i += 2;
    } else {
      appendRange(out, b[j]!, b[j + 1]!, trie);
      j += 2;
    }
  }
  return Int32Array.from(out);
}

/**
 * `dst |= src` over a whole mask. One shared function rather than a loop at each call site: the sites run once per
 * new state, too rarely for the JIT to compile their own loops early, while this one is hot after a few masks.
 */
function orInto(dst: Uint32Array, src: Uint32Array): void {
  for (let w = 0; w < dst.length; w++) dst[w]! |= src[w]!;
}

/** Union of the shared frames of a state (keyed by their ids): most states inside strings share one. */
const groups = new Map<string, Frame>();
const GROUPS = 256;
let frameIds = 0;

/**
 * The shared frames of one state (distinct) as one frame: accepted tokens or-ed, boundary ranges merged. Built
 * newest frame last onto the group of the others, so groups differing only in their newest frame share the rest of
 * the merge.
 */
function sharedGroup(frames: readonly Frame[], trie: TokenTrie, words: number): Frame {
  const sorted = [...frames].sort((a, b) => a.id - b.id);
  const key = sorted.map((f) => f.id).join(",");
  const known = groups.get(key);
  if (known) return known;
  const last = sorted[sorted.length - 1]!;
  const base = sorted.length === 2 ? sorted[0]! : sharedGroup(sorted.slice(0, -1), trie, words);
  const accepted = base.accepted.slice();
  orInto(accepted, last.accepted);
  const group = { id: frameIds++, accepted, uncertain: mergeRanges(base.uncertain, last.uncertain, trie) };
  if (groups.size >= GROUPS) groups.clear();
  groups.set(key, group);
  return group;
}

/**
 * Per vocabulary: the plain JSON string body's analysis at a character start (the union of its start stacks' frames),
 * each token's character count as a body fragment, and the body's frames cut to at most n characters (`CharRuns`).
 */
interface StringBody {
  readonly plain: Frame;
  readonly counts: Uint8Array;
  readonly longest: number;
  /** Every token by character count (ascending), and where each count starts. */
  readonly byCount: Int32Array;
  readonly countStart: Int32Array;
  readonly byLimit: Map<string, Frame>;
  /** Per range of `plain.uncertain`: the characters on the path to its parent (-1: the path ends inside one). */
  readonly rangeChars: Int16Array;
  /** Per range of `plain.uncertain`: the first byte of the path to it. */
  readonly rangeFirst: Uint8Array;
  /** The ranges of `plain.uncertain` that may close a run, by the run's bounds (`#closingRanges`). */
  readonly closing: Map<string, Int32Array>;
}

/**
 * A stack's frame at a character start inside a run (`#runFrame`). When the run's counts are gapless, the frame's own
 * `uncertain` is empty and its tokens that close the run are `closing`, walked from `after`.
 */
interface RunFrame {
  readonly frame: Frame;
  readonly closing?: Int32Array;
  /** The state of the stack of what follows the run alone (-1: nothing may follow). */
  readonly after: number;
}

const NO_RANGES = new Int32Array(0);
const stringBodies = new WeakMap<TokenTrie, StringBody>();

/**
 * Most tokens near a length bound checked one by one against a state (`#cutFrame`); past it, a position of a bounded
 * string gets its own frame analysis.
 */
const CHECKED_TOKENS = 256;

/** A string language's own grammar (`languageGrammar`), its states' frames and their cuts by length, per vocabulary. */
interface LanguageFrames {
  readonly automaton: GrammarAutomaton;
  readonly frames: Map<number, LanguageFrame | null>;
  readonly cuts: Map<string, Derived | null>;
  /** An analysed state's frame by its transitions (`stateRows`), for its twins (`#twinFrame`). */
  readonly byRow: Map<string, LanguageFrame>;
  /** The kernel walk of `automaton` (made when first needed). */
  walk?: KernelWalk;
}
const languages = new WeakMap<TokenTrie, Map<string, LanguageFrames>>();
/** Languages kept per vocabulary before that cache starts over. */
const LANGUAGES = 64;
/** Bytes of language state analyses kept per vocabulary before that cache starts over. */
const LANGUAGE_BYTES = 128 << 20;
const languageBytes = new WeakMap<TokenTrie, number>();

/** A language state's frame, and (once a cut by length asks, `#languageCounts`) its tokens by character count. */
interface LanguageFrame extends Frame {
  readonly language: ShapedLanguage;
  readonly state: number;
  counts?: LanguageCounts;
}

/**
 * A language frame's accepted tokens by character count (ascending), with the characters each needs to reach
 * acceptance: its own count plus the distance of the automaton state it ends in (PARTIAL: it ends inside a character).
 * A need is found when a cut first reads it (`#needOf`): cuts read only the tokens of counts near the bounds.
 */
interface LanguageCounts {
  readonly tokens: Int32Array;
  readonly needs: Uint16Array;
  /** 1 where `needs` holds the token's need. */
  readonly known: Uint8Array;
  /** Where each count starts in `tokens`. */
  readonly countStart: Int32Array;
  /** The language's automaton from the frame's state, followed along a token's bytes (`#needOf`). */
  readonly path: ContentPath;
  /** Every token's character count (`StringBody.counts`). */
  readonly chars: Uint8Array;
}

/** A token's need (`LanguageFrame.needs`): its low bits, a flag for an end state not reaching acceptance in every longer count, and a token ending inside a character. */
const NEED = 0x7fff, UNSATURATED = 0x8000, PARTIAL = 0xffff;

/** A product rule's frame (`shaped.ts`), and the tokens near its length bound to walk from each state (`check`). */
interface Derived {
  readonly frame: Frame;
  readonly check?: Int32Array;
}

/** One frame's context-independent part of a mask. */
interface Frame {
  /** Process-wide id (keys unions of frames). */
  readonly id: number;
  /** Tokens consumed entirely inside the frame: allowed whatever lies below it. */
  readonly accepted: Uint32Array;
  /** Trie node ranges [from, to) whose tokens may complete the frame and continue below it: checked per state. */
  readonly uncertain: Int32Array;
}

/** What a mask walk costs, for benchmarks and tests. */
export interface MaskStats {
  /** Masks computed by a trie walk. */
  walks: number;
  /** Masks served from the cache. */
  hits: number;
  /** Trie nodes visited by walks. */
  nodes: number;
}

/** The masks of one automaton over one vocabulary (shared by every sequence using both). */
export class TokenMasks {
  readonly #cache = new Map<number, Uint32Array>();
  /** This grammar's part of the process-wide mask budget (`budget.ts`). */
  readonly #share = cacheShare(() => {
    this.#cache.clear();
    this.#share.cleared();
  });
  readonly #maxCached: number;
  readonly #stack: Int32Array;
  readonly #cutSeen: Uint8Array;
  readonly #frames = new Map<number, Frame>();
  /** Structural keys of the top one and two frames ("" when not shareable), by `GrammarAutomaton.frameShape`. */
  readonly #shapeKeys = new Map<number, readonly [string, string]>();
  /** Counters since creation. */
  readonly stats: MaskStats = { walks: 0, hits: 0, nodes: 0 };
  /** Mask length in 32-bit words. */
  readonly words: number;
  /** The C walk (absent: the TS walk of `compute`). */
  #walk: KernelWalk | undefined;
  /** Runs of JSON string characters of the grammar (undefined: none), and the frame each stack gets from them. */
  readonly #runs: CharRuns | undefined;
  readonly #runFrames = new Map<number, RunFrame | null>();
  /** Product rules of bounded automaton strings (undefined: none), and the frame each stack derives from them. */
  readonly #starts: ShapedStarts | undefined;
  readonly #derived = new Map<number, Derived | null>();
  #kernels: Kernels | undefined;

  constructor(
    /** The grammar's parser. */
    readonly automaton: GrammarAutomaton,
    /** The vocabulary. */
    readonly trie: TokenTrie,
    /** End-of-generation tokens: allowed exactly in accepting states. */
    readonly endTokens: readonly number[],
    /** Kernels whose trie walk computes new masks (native / WASM / TS reference); absent: `compute` in plain TS. */
    kernels?: Kernels,
  ) {
    this.#walk = kernels && new KernelWalk(automaton, walkerFor(kernels, trie));
    this.#kernels = kernels;
    this.words = Math.ceil(trie.vocab / 32);
    this.#maxCached = Math.max(16, Math.floor(MASK_CACHE_BYTES / (this.words * 4)));
    this.#stack = new Int32Array(trie.maxDepth + 1);
    this.#cutSeen = new Uint8Array(trie.maxDepth + 1);
    this.#runs = CharRuns.of(automaton.grammar);
    this.#starts = ShapedStarts.of(automaton);
    // Eager work at compile time: every sequence starts in the start state, so its mask is walked now (a few hundred
    // microseconds of kernel walk, mostly learning the grammar's first states) rather than in the first decode step;
    // so are this grammar's own wide loops (a pattern's character class), whose analysis is a walk over most of the
    // vocabulary that would otherwise land on one decode step.
    if (this.#walk) {
      this.#analyseWideLoops();
      this.mask(automaton.start);
    }
  }

  /** Analyses (shared, see `#sharedFrame`) the one-frame loops of the grammar wider than a direct walk, not yet known. */
  #analyseWideLoops(): void {
    const { automaton } = this, known = sharedFrames.get(this.trie);
    let analysed = 0;
    for (const pos of automaton.framePositions()) {
      const node = automaton.frameNode(pos);
      if (this.#subtreeNodes(automaton.setOf(node)) <= DIRECT_WALK_NODES) continue;
      const key = automaton.frameKey(node, 1, SHARED_FRAME_RULES);
      if (key === undefined || known?.has(key)) continue;
      if (analysed++ === EAGER_LOOPS) return;
      this.#sharedFrame(node, true);
    }
  }

  /**
   * Analyses (shared per vocabulary) the states of the grammar's bounded string languages (`shaped.ts`) not yet
   * known, at most `limit` of them (`prepareVocabulary`): each is a walk over the tokens the language takes there,
   * which would otherwise land on the decode step that first enters that state (~1 ms; doing it when a grammar's masks
   * are created instead made the median time to first mask 1.8× on the broad bench, for no gain at p99).
   */
  analyseLanguages(limit: number): void {
    const shaped = this.automaton.grammar.shaped;
    if (!shaped) return;
    const done = new Set<ShapedLanguage>();
    let analysed = 0;
    for (const { language } of shaped.values()) {
      if (done.has(language)) continue;
      done.add(language);
      const lang = this.#language(language);
      for (let state = 0; state < language.dist.length; state++) {
        if (lang.frames.has(state)) continue;
        if (analysed++ === limit) return;
        const frame = this.#languageFrame(lang, language, state);
        // Model load: the counts and needs a cut by length reads are made now too (milliseconds on a decode step).
        if (frame) {
          const counts = this.#languageCounts(frame);
          for (let i = 0; i < counts.tokens.length; i++) this.#needOf(frame, counts, i);
        }
        lang.frames.set(state, frame);
      }
    }
  }

  /** Whether new masks are walked by kernels (native / WASM / TS reference) rather than `compute`. */
  get walksInKernels(): boolean {
    return this.#walk !== undefined;
  }

  /** Walks new masks with `kernels` from now on (the masks are the same; only the speed changes). */
  useKernels(kernels: Kernels): void {
    this.#kernels = kernels;
    this.#walk = new KernelWalk(this.automaton, walkerFor(kernels, this.trie));
  }

  /** The allowed tokens in `state` (read-only: the array is shared through the cache). */
  mask(state: number): Uint32Array {
    this.#share.touch();
    const known = this.#cache.get(state);
    if (known) {
      this.stats.hits++;
      return known;
    }
    // A state whose stacks' first bytes lead into small subtrees is walked directly, in TS when smaller still (no frame
    // keys needed); one holding a frame already analysed for this vocabulary (a string body, typically) is wide: its
    // direct walk would only run into the node limit.
    const bound = this.#walkBound(state);
    const mask = bound <= TS_WALK_NODES
      ? this.compute(state, newMask(this.words))
      : ((bound <= DIRECT_WALK_NODES || !this.#anyShared(state) ? this.#direct(state) : undefined) ?? this.#fromFrames(state));
    if (this.#cache.size >= this.#maxCached) this.#share.drop();
    this.#cache.set(state, mask);
    this.#share.add(mask.byteLength);
    return mask;
  }

  /** The mask of `state` by one walk over at most DIRECT_WALK_NODES trie nodes (undefined: wider than that). */
  #direct(state: number): Uint32Array | undefined {
    const kernelWalk = this.#walk;
    if (!kernelWalk) return this.compute(state, new Uint32Array(this.words), DIRECT_WALK_NODES);
    const end = kernelWalk.run(state, DIRECT_WALK_NODES, "mask");
    if (end === "full") return this.compute(state, new Uint32Array(this.words), DIRECT_WALK_NODES);
    this.stats.nodes += kernelWalk.visited;
    if (end === "limited") return undefined;
    const mask = newMask(this.words);
    mask.set(kernelWalk.walker.mask());
    if (this.automaton.accepting(state)) for (const t of this.endTokens) mask[t >>> 5]! |= 1 << (t & 31);
    this.stats.walks++;
    return mask;
  }

  /**
   * The mask of a new state from its stacks' frames: for each stack, the tokens its top FRAME_DEPTH frames consume
   * on their own (context-independent, computed once per frame and shared by every state and nesting depth that
   * holds it), plus the few tokens that may run past the frame, each checked against the whole state.
   */
  #fromFrames(state: number): Uint32Array {
    const mask = newMask(this.words);
    const { automaton, trie } = this;
    const shared: Frame[] = [], own: Frame[] = [], checks: Int32Array[] = [], closings: RunFrame[] = [], first = this.#firstBytes.fill(0);
    let direct = 0;
    for (const node of automaton.nodesOf(state)) {
      const derived = this.#derivedFrame(node);
      if (derived) {
        if (!shared.includes(derived.frame)) shared.push(derived.frame);
        if (derived.check && !checks.includes(derived.check)) checks.push(derived.check);
        continue;
      }
      const size = this.#subtreeNodes(automaton.setOf(node));
      const narrow = size <= NARROW_FRAME_NODES;
      const run = this.#runFrame(node);
      if (run?.closing && !closings.some((c) => c.closing === run.closing && c.after === run.after)) closings.push(run);
      const known = run?.frame ?? this.#sharedFrame(node, !narrow || this.#preparing);
      if (known) {
        if (!shared.includes(known)) shared.push(known);
        continue;
      }
      // A narrow stack no analysis covers (a closing quote and what follows it in this grammar, typically) is
      // walked from the state itself: analysing its frame would learn parser states of a cut stack only to learn the
      // real ones again on the boundary walk.
      if (narrow && direct + size <= DIRECT_WALK_NODES) {
        const { sets } = automaton.grammar, at = automaton.setOf(node) * 8;
        for (let w = 0; w < 8; w++) first[w]! |= sets[at + w]!;
        direct += size;
        continue;
      }
      const frame = this.#frame(automaton.frameState(node, FRAME_DEPTH));
      if (!own.includes(frame)) own.push(frame);
    }
    // The shared frames of a state form a group cached across states and grammars (a string body's, analysed at model
    // load), whose boundary list and its paths are prepared once; the state's own frames and the subtrees walked
    // directly form a short list of their own.
    shared.sort((x, y) => x.id - y.id);
    const group = shared.length < 2 ? shared[0] : sharedGroup(shared, trie, this.words);
    const lists: Int32Array[] = [];
    for (const f of own) if (f.uncertain.length > 0) lists.push(f.uncertain);
    if (direct > 0) lists.push(this.#subtreesOf(first));
    // Frames of one state share most boundary subtrees (every character class of a string ends at the same
    // closing quote): each subtree of a list is walked once, from the state itself.
    const rest = lists.length === 0 ? undefined : lists.length === 1 ? lists[0]! : boundaryRanges(lists, trie);
    // The kernel walks add their tokens to the walker's mask, which starts as a copy of the group's tokens: a memory
    // copy, where or-ing a whole mask in a JS loop costs tens of microseconds once the loop has met masks of two sizes.
    const found = this.#walk?.walker.mask() ?? mask;
    if (group) found.set(group.accepted);
    else found.fill(0);
    for (const f of own) orInto(found, f.accepted);
    for (const ranges of [group?.uncertain, rest]) if (ranges && ranges.length > 0) this.#boundary(state, ranges, found);
    for (const run of closings) this.#closing(state, run, found);
    for (const list of checks) {
      for (const t of list) if (!((found[t >>> 5]! >>> (t & 31)) & 1) && automaton.walk(state, trie.tokenBytes(t)) !== DEAD) found[t >>> 5]! |= 1 << (t & 31);
    }
    if (found !== mask) mask.set(found);
    if (automaton.accepting(state)) for (const t of this.endTokens) mask[t >>> 5]! |= 1 << (t & 31);
    this.stats.walks++;
    return mask;
  }

  readonly #firstBytes = new Uint32Array(8);
  #preparing = false;

  /**
   * The mask of `state` as `mask` gives it, but analysing narrow frames for sharing too (model-load preparation, see
   * `prepareVocabulary`: the escapes and format characters of a string are then shared by every grammar).
   */
  prepare(state: number): Uint32Array {
    this.#preparing = true;
    try {
      return this.mask(state);
    } finally {
      this.#preparing = false;
    }
  }

  readonly #subtreeSizes = new Map<number, number>();

  /** Trie nodes under the first bytes in byte set `set` (memoized per set). */
  #subtreeNodes(set: number): number {
    let size = this.#subtreeSizes.get(set);
    if (size === undefined) {
      const { sets } = this.automaton.grammar, { roots, skip } = this.trie;
      size = 0;
      for (let b = 0; b < 256; b++) if (roots[b]! >= 0 && (sets[set * 8 + (b >>> 5)]! >>> (b & 31)) & 1) size += skip[roots[b]!]! - roots[b]!;
      this.#subtreeSizes.set(set, size);
    }
    return size;
  }

  /** The first-level subtrees of the bytes in bitset `bytes`, as a range list (byte order is trie order). */
  #subtreesOf(bytes: Uint32Array): Int32Array {
    const { roots, skip } = this.trie, out: number[] = [];
    for (let b = 0; b < 256; b++) if (roots[b]! >= 0 && (bytes[b >>> 5]! >>> (b & 31)) & 1) out.push(roots[b]!, skip[roots[b]!]!);
    return Int32Array.from(out);
  }

  /**
   * Adds to `mask` the tokens of the trie node ranges `ranges` viable from `state`: one kernel walk or-ing them into
   * the walker's mask (which `mask` then is), else in TS.
   */
  #boundary(state: number, ranges: Int32Array, mask: Uint32Array): void {
    const kernelWalk = this.#walk;
    if (kernelWalk && kernelWalk.runRanges(state, ranges, this.trie) === "done") {
      this.stats.nodes += kernelWalk.visited;
      return;
    }
    this.#boundaryTokens(state, ranges, mask);
  }

  /**
   * Adds to `mask` the tokens of a run's closing ranges viable from `state`: walked from the state of what follows the
   * run, which is what a run state does with a byte no character starts with (see `#runFrame`).
   */
  #closing(state: number, run: RunFrame, mask: Uint32Array): void {
    const kernelWalk = this.#walk, closing = run.closing!;
    if (closing.length === 0) return;
    if (kernelWalk && kernelWalk.runRangesFrom(run.after, closing, this.trie) === "done") {
      this.stats.nodes += kernelWalk.visited;
      return;
    }
    this.#boundaryTokens(state, closing, mask);
  }

  /** Adds to `mask` the tokens of the node ranges `ranges` viable from `state`, checked one by one. */
  #boundaryTokens(state: number, ranges: Int32Array, mask: Uint32Array): void {
    const { ids, tokenStart } = this.trie, { automaton } = this;
    for (let r = 0; r < ranges.length; r += 2) {
      for (let k = tokenStart[ranges[r]!]!, end = tokenStart[ranges[r + 1]!]!; k < end; k++) {
        const t = ids[k]!;
        if (!((mask[t >>> 5]! >>> (t & 31)) & 1) && automaton.walk(state, this.trie.tokenBytes(t)) !== DEAD) mask[t >>> 5]! |= 1 << (t & 31);
      }
    }
  }

  /**
   * An upper bound of the trie nodes a direct walk from `state` visits (counted up to just past DIRECT_WALK_NODES):
   * the first level (256 nodes) and the subtrees of the first bytes its stacks take.
   */
  #walkBound(state: number): number {
    let size = 256;
    for (const node of this.automaton.nodesOf(state)) if ((size += this.#subtreeNodes(this.automaton.setOf(node))) > DIRECT_WALK_NODES) break;
    return size;
  }

  /** Whether a stack of `state` has a usable frame in the vocabulary-wide cache. */
  #anyShared(state: number): boolean {
    const byKey = sharedFrames.get(this.trie);
    if (!byKey) return false;
    for (const node of this.automaton.nodesOf(state)) {
      if (this.#runFrame(node) || this.#derivedFrame(node)) return true;
      for (const key of this.#keysOf(node)) if (key && byKey.get(key)) return true;
    }
    return false;
  }

  /**
   * The frame of a stack at the start of a character of a JSON string run (`CharRuns`): the plain body's tokens of at
   * most as many characters as the run has left. Its tokens that leave the string are among the plain body's boundary
   * subtrees; the path to each is plain characters, maybe ended inside one, then the byte the body refused (one no
   * character starts with). From the run's state after c characters, such a byte is taken only by what follows the
   * run, and only at a character's end with c within the run's counts: when those counts are gapless, the boundary
   * ranges are cut to those and walked from the state of what follows alone, so a run's entry does not create its
   * states for every count (one per character: a `maxLength` of 64 learned ~100 states per new grammar). Otherwise
   * the ranges are checked from the state itself. Undefined for any other stack, or a run followed by something a
   * character could also start.
   */
  #runFrame(node: number): RunFrame | undefined {
    const runs = this.#runs;
    if (!runs) return undefined;
    let run = this.#runFrames.get(node);
    if (run === undefined) {
      const { automaton } = this, below = automaton.parentOf(node), excluded = runs.startAt(automaton.positionOf(node));
      run = excluded && below >= 0 && runs.followsRun(automaton.positionOf(below)) ? this.#runBelow(runs, below, excluded) : null;
      this.#runFrames.set(node, run);
    }
    return run ?? undefined;
  }

  /** Per excluded first bytes and stack below: the run frame (a run state's character stacks share both). */
  readonly #runsBelow = new Map<Uint32Array, Map<number, RunFrame | null>>();

  /** The frame of a character start of a run, over the stack `below`, excluding `excluded` first bytes (`#runFrame`). */
  #runBelow(runs: CharRuns, below: number, excluded: Uint32Array): RunFrame | null {
    let byBelow = this.#runsBelow.get(excluded);
    if (!byBelow) this.#runsBelow.set(excluded, (byBelow = new Map()));
    let run = byBelow.get(below);
    if (run !== undefined) return run;
    const { automaton } = this;
    const positions = function* () {
      for (let n = below; n >= 0; n = automaton.parentOf(n)) yield automaton.positionOf(n);
    };
    const bounds = runs.bounds(positions());
    run = null;
    if (bounds?.gapless) {
      let frame = below;
      for (let d = 0; d < bounds.depth; d++) frame = automaton.parentOf(frame);
      const after = bounds.pos < 0 ? -1 : automaton.stackState(bounds.pos, automaton.parentOf(frame));
      const closing = after < 0 ? NO_RANGES : this.#closingRanges(1 + bounds.fewest, 1 + bounds.most, excluded);
      run = { frame: this.#bodyFrame(1 + bounds.most, excluded, false), closing, after };
    } else if (bounds) run = { frame: this.#bodyFrame(1 + bounds.most, excluded, true), after: -1 };
    byBelow.set(below, run);
    return run;
  }

  /** The plain body's boundary ranges whose path is `fewest` to `most` whole characters, not starting with an `excluded` byte. */
  #closingRanges(fewest: number, most: number, excluded: Uint32Array): Int32Array {
    const body = this.#stringBody(), key = `${fewest}:${Math.min(most, body.longest + 1)}:${excluded.join(",")}`;
    let ranges = body.closing.get(key);
    if (!ranges) {
      const { uncertain } = body.plain, out: number[] = [];
      for (let r = 0; r < uncertain.length; r += 2) {
        const c = body.rangeChars[r >> 1]!, b = body.rangeFirst[r >> 1]!;
        if (c >= fewest && c <= most && !((excluded[b >>> 5]! >>> (b & 31)) & 1)) out.push(uncertain[r]!, uncertain[r + 1]!);
      }
      ranges = Int32Array.from(out);
      if (body.closing.size >= SHARED_FRAMES) body.closing.clear();
      body.closing.set(key, ranges);
    }
    return ranges;
  }

  #stringBody(): StringBody {
    let body = stringBodies.get(this.trie);
    if (!body) stringBodies.set(this.trie, (body = this.#plainBody()));
    return body;
  }

  /**
   * The plain string body's frame cut to tokens of at most `limit` characters whose first byte is not in `excluded`,
   * with the body's boundary ranges or none (`boundary`; shared per vocabulary).
   */
  #bodyFrame(limit: number, excluded: Uint32Array, boundary: boolean): Frame {
    const body = this.#stringBody();
    const key = `${Math.min(limit, body.longest)}:${excluded.join(",")}:${boundary}`;
    let frame = body.byLimit.get(key);
    if (!frame) {
      if (limit >= body.longest && excluded.every((w) => w === 0) && boundary) frame = body.plain;
      else {
        const accepted = body.plain.accepted.slice(), { byCount, countStart } = body, { roots, skip, tokenStart, ids } = this.trie;
        for (let i = countStart[Math.min(limit, body.longest) + 1]!; i < byCount.length; i++) accepted[byCount[i]! >>> 5]! &= ~(1 << (byCount[i]! & 31));
        for (let b = 0; b < 256; b++) {
          if (!((excluded[b >>> 5]! >>> (b & 31)) & 1) || roots[b]! < 0) continue;
          for (let k = tokenStart[roots[b]!]!, end = tokenStart[skip[roots[b]!]!]!; k < end; k++) accepted[ids[k]! >>> 5]! &= ~(1 << (ids[k]! & 31));
        }
        frame = { id: frameIds++, accepted, uncertain: boundary ? body.plain.uncertain : NO_RANGES };
      }
      if (body.byLimit.size >= SHARED_FRAMES) body.byLimit.clear();
      body.byLimit.set(key, frame);
    }
    return frame;
  }

  /**
   * The frame of a stack at a character start of a product rule (`ShapedStarts`): its language state's frame, minus
   * the tokens of more characters than the rule has left (less the most any state needs to finish) or of fewer than it
   * still needs, which are walked per state instead; undefined for other stacks, or when too many tokens would be.
   */
  #derivedFrame(node: number): Derived | undefined {
    const starts = this.#starts;
    if (!starts) return undefined;
    let derived = this.#derived.get(node);
    if (derived === undefined) {
      const rule = starts.at(node);
      derived = rule ? this.#cutFrame(rule) : null;
      this.#derived.set(node, derived);
    }
    return derived ?? undefined;
  }

  /**
   * A language state's frame cut to a product rule's lengths. A token of `c` characters taken from automaton state
   * `p` reaches a state at most `far` characters from acceptance, so with `short <= c <= left - far` it is allowed
   * exactly when the language alone allows it; with `short <= c <= left`, when the state it ends in is close enough to
   * acceptance (its need); others up to `left` (ending inside a character, or short of the minimum) are checked per
   * state. Cuts are shared per vocabulary.
   */
  #cutFrame(rule: ShapedRule): Derived | null {
    const lang = this.#language(rule.language);
    let base = lang.frames.get(rule.state);
    if (base === undefined) lang.frames.set(rule.state, (base = this.#languageFrame(lang, rule.language, rule.state)));
    if (base === null) return null;
    if (rule.short <= 1 && rule.left - rule.language.far >= this.#stringBody().longest) return { frame: base };
    // Counts above the frame's longest token cut nothing: each position of a long bounded string shares one cut.
    const counts = this.#languageCounts(base), { tokens, countStart } = counts, saturated = rule.language.saturated.every((v) => v === 1);
    let longest = countStart.length - 2;
    while (longest > 0 && countStart[longest] === countStart[longest + 1]) longest--;
    // A token's need is at most its count plus `far`: `left` capped there compares alike.
    const lo = rule.short, hi = Math.min(rule.left - rule.language.far, longest), left = Math.min(rule.left, longest + rule.language.far);
    if (lo <= 1 && hi >= longest) return { frame: base };
    const key = `${rule.state}:${lo}:${hi}:${left}`;
    let cut = lang.cuts.get(key);
    if (cut === undefined) {
      const accepted = base.accepted.slice(), check: number[] = [];
      for (let c = 0; c <= longest && check.length <= CHECKED_TOKENS; c++) {
        if (c >= lo && c <= hi) continue;
        for (let i = countStart[c]!; i < countStart[c + 1]!; i++) {
          const t = tokens[i]!, need = this.#needOf(base, counts, i), partial = need === PARTIAL, within = (need & NEED) <= left;
          // Kept: a way to acceptance within the maximum, and enough characters for the minimum, or an end state
          // that reaches acceptance in every count from its distance on (so also in one that meets the minimum). A
          // token ending inside a character ends in some state at most `far` away: kept when every state is such.
          if (partial ? c <= hi && c < lo && saturated : within && (c >= lo || !(need & UNSATURATED))) continue;
          accepted[t >>> 5]! &= ~(1 << (t & 31));
          // Checked per state: within the maximum, but ending inside a character or short of the minimum.
          if (c <= left && (partial || within)) check.push(t);
        }
      }
      cut = check.length > CHECKED_TOKENS ? null : { frame: { id: frameIds++, accepted, uncertain: base.uncertain }, check: Int32Array.from(check) };
      if (lang.cuts.size >= SHARED_FRAMES) lang.cuts.clear();
      lang.cuts.set(key, cut);
    }
    return cut;
  }

  /** The frames of `language`'s own grammar over this vocabulary (shared by every grammar holding that language). */
  #language(language: ShapedLanguage): LanguageFrames {
    let byKey = languages.get(this.trie);
    if (!byKey) languages.set(this.trie, (byKey = new Map()));
    const key = languageKey(language);
    let lang = byKey.get(key);
    if (!lang || (languageBytes.get(this.trie) ?? 0) > LANGUAGE_BYTES) {
      if (byKey.size >= LANGUAGES || (languageBytes.get(this.trie) ?? 0) > LANGUAGE_BYTES) byKey.clear(), languageBytes.set(this.trie, 0);
      byKey.set(key, (lang = { automaton: new GrammarAutomaton(languageGrammar(language)), frames: new Map(), cuts: new Map(), byRow: new Map() }));
    }
    return lang;
  }

  /**
   * The tokens `language`'s own grammar (one quoted string, then the end) takes at a character start of `state`
   * without closing the string, and the subtrees where a token closes it (the state is then accepting): one kernel
   * walk whose accepting rows stop it (a TS walk without kernels, or when the subtrees overflow the kernel's buffer).
   */
  #languageFrame(lang: LanguageFrames, language: ShapedLanguage, state: number): LanguageFrame | null {
    const twin = this.#twinFrame(lang, language, state);
    if (twin) return twin;
    const { automaton } = lang;
    const at = automaton.walk(automaton.start, new TextEncoder().encode(JSON.stringify(language.paths[state]).slice(0, -1)));
    if (at === DEAD) return null;
    const kernels = this.#kernels, kernelWalk = kernels && (lang.walk ??= new KernelWalk(automaton, walkerFor(kernels, this.trie)));
    let accepted: Uint32Array, uncertain: Int32Array;
    if (kernelWalk && kernelWalk.run(at, 0, "language") === "done") {
      const { walker } = kernelWalk, found = walker.ranges(), out: number[] = [];
      for (let r = 0, n = walker.cursor()[walk.ranges]!; r < n; r += 2) appendRange(out, found[r]!, found[r + 1]!, this.trie);
      accepted = walker.mask().slice();
      uncertain = Int32Array.from(out);
      this.stats.nodes += kernelWalk.visited;
    } else [accepted, uncertain] = this.#languageWalk(automaton, at);
    languageBytes.set(this.trie, (languageBytes.get(this.trie) ?? 0) + accepted.byteLength + uncertain.byteLength);
    const frame: LanguageFrame = { id: frameIds++, accepted, uncertain, language, state };
    lang.byRow.set(stateRows(language)[state]!, frame);
    return frame;
  }

  /**
   * The frame of `state` from an analysed state with the same transitions (a loop's entry and its body, `[a-z]+`):
   * after a token's first character both are in the same states, so they take the same tokens with the same needs and
   * close the string in the same subtrees, but for the closing quote first, which only an accepting state takes.
   */
  #twinFrame(lang: LanguageFrames, language: ShapedLanguage, state: number): LanguageFrame | undefined {
    const frame = lang.byRow.get(stateRows(language)[state]!);
    if (!frame) return undefined;
    const { accept } = language.dfa, quote = this.trie.roots[0x22]!;
    let { uncertain } = frame;
    if (accept[frame.state] !== accept[state] && quote >= 0) {
      const out: number[] = [];
      for (let r = 0; r < uncertain.length; r += 2) if (uncertain[r] !== quote) out.push(uncertain[r]!, uncertain[r + 1]!);
      if (accept[state]) {
        let at = 0;
        while (at < out.length && out[at]! < quote) at += 2;
        out.splice(at, 0, quote, this.trie.skip[quote]!);
      }
      uncertain = Int32Array.from(out);
    }
    return { id: frameIds++, accepted: frame.accepted, uncertain, language, state, counts: frame.counts };
  }

  /** `#languageFrame`'s walk in TS: its accepted tokens and closing subtrees from parser state `at`. */
  #languageWalk(automaton: GrammarAutomaton, at: number): [Uint32Array, Int32Array] {
    const accepted = new Uint32Array(this.words), uncertain: number[] = [];
    const { byte, depth, skip, tokenStart, ids, size } = this.trie, st = this.#stack, { width, classOf } = automaton;
    let visited = 0, table = automaton.table;
    st[0] = at;
    for (let i = 0; i < size; visited++) {
      const d = depth[i]!, b = byte[i]!, s = st[d - 1]!;
      // The automaton's table read inline, as `compute` does (0: not computed yet; else the state plus one, or DEAD).
      let next = table[s * width + classOf[b]!]!;
      if (next === 0) {
        next = automaton.step(s, b);
        table = automaton.table;
      } else next = next === DEAD ? DEAD : next - 1;
      if (next === DEAD || automaton.accepting(next)) {
        if (next !== DEAD) appendRange(uncertain, i, skip[i]!, this.trie);
        i = skip[i]!;
        continue;
      }
      st[d] = next;
      for (let k = tokenStart[i]!, stop = tokenStart[i + 1]!; k < stop; k++) accepted[ids[k]! >>> 5]! |= 1 << (ids[k]! & 31);
      i++;
    }
    this.stats.nodes += visited;
    return [accepted, Int32Array.from(uncertain)];
  }

  /** A language frame's tokens by character count (`LanguageCounts`), made when a cut by length first asks. */
  #languageCounts(frame: LanguageFrame): LanguageCounts {
    if (frame.counts) return frame.counts;
    const { counts, longest } = this.#stringBody(), { accepted } = frame, countStart = new Int32Array(longest + 2);
    let n = 0;
    for (let w = 0; w < accepted.length; w++) for (let x = accepted[w]!; x !== 0; x &= x - 1, n++) countStart[counts[w * 32 + 31 - Math.clz32(x & -x)]! + 1]!++;
    for (let c = 1; c < countStart.length; c++) countStart[c]! += countStart[c - 1]!;
    const tokens = new Int32Array(n), next = countStart.slice();
    for (let w = 0; w < accepted.length; w++) {
      for (let x = accepted[w]!; x !== 0; x &= x - 1) {
        const t = w * 32 + 31 - Math.clz32(x & -x);
        tokens[next[counts[t]!]!++] = t;
      }
    }
    languageBytes.set(this.trie, (languageBytes.get(this.trie) ?? 0) + n * 7);
    const path = new ContentPath(frame.language.dfa, frame.state, this.trie.maxDepth);
    return (frame.counts = { tokens, needs: new Uint16Array(n), known: new Uint8Array(n), countStart, path, chars: counts });
  }

  /** The need of the `i`-th token of a frame's counts: the language's automaton follows its bytes from the frame's state. */
  #needOf(frame: LanguageFrame, counts: LanguageCounts, i: number): number {
    if (counts.known[i] === 1) return counts.needs[i]!;
    const t = counts.tokens[i]!, { bytes, offsets } = this.trie.vocabulary, { dist, saturated } = frame.language;
    let end = frame.state;
    for (let k = offsets[t]!, d = 1; k < offsets[t + 1]!; k++, d++) end = counts.path.push(d, bytes[k]!);
    const need = end >= 0 ? Math.min(NEED, counts.chars[t]! + dist[end]!) | (saturated[end] ? 0 : UNSATURATED) : PARTIAL;
    counts.known[i] = 1;
    return (counts.needs[i] = need);
  }

  /** Analyses a plain JSON string body at a character start over this vocabulary (once per vocabulary). */
  #plainBody(): StringBody {
    const b = new GrammarBuilder(), json = new JsonRules(b, 0), root = b.fresh("string");
    b.define(root, json.string());
    const automaton = new GrammarAutomaton(b.build(root)), runs = CharRuns.of(automaton.grammar)!;
    const reference = new TokenMasks(automaton, this.trie, [], this.#kernels);
    const frames: Frame[] = [];
    for (const node of automaton.nodesOf(automaton.next(automaton.start, 0x22))) {
      // The character's stacks with the body's loop below them, cut there: what the body alone takes.
      if (runs.startAt(automaton.positionOf(node))) frames.push(reference.#frame(automaton.frameState(node, 2)));
    }
    const plain = frames.length === 1 ? frames[0]! : sharedGroup(frames, this.trie, this.words);
    const counts = tokenCharCounts(this.trie.vocabulary.bytes, this.trie.vocabulary.offsets, this.trie.vocab);
    let longest = 0;
    for (const n of counts) longest = Math.max(longest, n);
    const countStart = new Int32Array(longest + 2), byCount = new Int32Array(counts.length);
    for (const n of counts) countStart[n + 1]!++;
    for (let c = 1; c < countStart.length; c++) countStart[c]! += countStart[c - 1]!;
    const at = countStart.slice();
    counts.forEach((n, t) => (byCount[at[n]!++] = t));
    const { parent, byte } = this.trie, ranges = plain.uncertain.length / 2;
    const rangeChars = new Int16Array(ranges), rangeFirst = new Uint8Array(ranges), path: number[] = [];
    for (let r = 0; r < ranges; r++) {
      path.length = 0;
      for (let n = parent[plain.uncertain[2 * r]!]!; n >= 0; n = parent[n]!) path.push(byte[n]!);
      path.reverse();
      rangeChars[r] = bodyChars(path);
      rangeFirst[r] = path[0] ?? 0;
    }
    return { plain, counts, longest, byCount, countStart, byLimit: new Map(), rangeChars, rangeFirst, closing: new Map() };
  }

  /**
   * Structural keys of the top one and two frames of `node`'s stack ("" when not shareable), computed once per frame
   * shape (new states bring new nodes, mostly of shapes already keyed).
   * One frame holds a loop written inline (a format's pattern); a string's character loop is a rule of its own, so
   * a character's frame alone is one byte long and only two frames hold the loop: one-frame keys are kept only for
   * positions followed by a rule reference.
   */
  #keysOf(node: number): readonly [string, string] {
    const shape = this.automaton.frameShape(node);
    let keys = this.#shapeKeys.get(shape);
    if (keys === undefined) {
      const { automaton } = this;
      const one = automaton.refersToRule(node) ? automaton.frameKey(node, 1, SHARED_FRAME_RULES) ?? "" : "";
      keys = [one, automaton.frameKey(node, 2, SHARED_FRAME_RULES) ?? ""];
      this.#shapeKeys.set(shape, keys);
    }
    return keys;
  }

  /** The top frame(s) of `node`'s stack from the vocabulary-wide cache (with `analyse`, analysed here if new); undefined if none is usable. */
  #sharedFrame(node: number, analyse: boolean): Frame | undefined {
    let byKey = sharedFrames.get(this.trie);
    if (!byKey) sharedFrames.set(this.trie, (byKey = new Map()));
    const keys = this.#keysOf(node);
    for (let depth = 1; depth <= 2; depth++) {
      const key = keys[depth - 1]!;
      if (key === "") continue;
      const known = byKey.get(key);
      if (known) return known;
      if (known === null || !analyse) continue;
      const frame = this.#frame(this.automaton.frameState(node, depth));
      const { tokenStart } = this.trie;
      let boundary = 0;
      for (let r = 0; r < frame.uncertain.length; r += 2) boundary += tokenStart[frame.uncertain[r + 1]!]! - tokenStart[frame.uncertain[r]!]!;
      const usable = boundary <= SHARED_UNCERTAIN_TOKENS ? frame : null;
      if (byKey.size >= SHARED_FRAMES) byKey.clear();
      byKey.set(key, usable);
      if (usable) return usable;
    }
    return undefined;
  }

  /** Tokens a frame consumes by itself, and the trie subtrees [from, to) whose tokens may leave it (cached). */
  #frame(frameState: number): Frame {
    const known = this.#frames.get(frameState);
    if (known) return known;
    const frame = this.#kernelFrame(frameState) ?? this.#tsFrame(frameState);
    if (this.#frames.size >= this.#maxCached) this.#frames.clear();
    this.#frames.set(frameState, frame);
    return frame;
  }

  /** A frame by the C walk (undefined without kernels or when the walk meets too many states). */
  #kernelFrame(frameState: number): Frame | undefined {
    const kernelWalk = this.#walk;
    if (!kernelWalk || kernelWalk.run(frameState, 0, "frame") !== "done") return undefined;
    this.stats.nodes += kernelWalk.visited;
    const { walker } = kernelWalk;
    return { id: frameIds++, accepted: walker.mask().slice(), uncertain: walker.ranges().slice(0, walker.cursor()[walk.ranges]!) };
  }

  /** A frame by the TS walk (the reference the kernel frame walk is checked against). */
  #tsFrame(frameState: number): Frame {
    const accepted = new Uint32Array(this.words);
    const uncertain: number[] = [];
    const { byte, depth, skip, tokenStart, ids, size } = this.trie;
    const automaton = this.automaton;
    const st = this.#stack, cut = this.#cutSeen;
    st[0] = frameState;
    cut[0] = automaton.reachedCut(frameState) ? 1 : 0;
    let visited = 0;
    for (let i = 0; i < size;) {
      visited++;
      const d = depth[i]!;
      const next = automaton.next(st[d - 1]!, byte[i]!);
      if (next === DEAD) {
        if (cut[d - 1] === 1) uncertain.push(i, skip[i]!);
        i = skip[i]!;
        continue;
      }
      st[d] = next;
      cut[d] = cut[d - 1]! | (automaton.reachedCut(next) ? 1 : 0);
      for (let k = tokenStart[i]!, end = tokenStart[i + 1]!; k < end; k++) {
        const t = ids[k]!;
        accepted[t >>> 5]! |= 1 << (t & 31);
      }
      i++;
    }
    this.stats.nodes += visited;
    return { id: frameIds++, accepted, uncertain: Int32Array.from(uncertain) };
  }

  /** Walks the trie from `state` into `mask` (cleared first); the reference every faster path is checked against. */
  compute(state: number, mask: Uint32Array): Uint32Array;
  /** The same walk, giving up (undefined) after visiting `limit` trie nodes. */
  compute(state: number, mask: Uint32Array, limit: number): Uint32Array | undefined;
  compute(state: number, mask: Uint32Array, limit = Infinity): Uint32Array | undefined {
    mask.fill(0);
    const { byte, depth, skip, tokenStart, ids, size } = this.trie;
    const automaton = this.automaton;
    const st = this.#stack;
    st[0] = state;
    let table = automaton.table;
    let visited = 0;
    for (let i = 0; i < size;) {
      if (++visited > limit) return undefined;
      const s = st[depth[i]! - 1]!;
      const b = byte[i]!;
      let next = table[s * automaton.width + automaton.classOf[b]!]!;
      if (next === 0) {
        next = automaton.step(s, b);
        table = automaton.table;
        next = next === DEAD ? DEAD : next + 1;
      }
      if (next === DEAD) {
        i = skip[i]!;
        continue;
      }
      st[depth[i]!] = next - 1;
      for (let k = tokenStart[i]!, end = tokenStart[i + 1]!; k < end; k++) {
        const t = ids[k]!;
        mask[t >>> 5]! |= 1 << (t & 31);
      }
      i++;
    }
    if (automaton.accepting(state)) for (const t of this.endTokens) mask[t >>> 5]! |= 1 << (t & 31);
    this.stats.walks++;
    this.stats.nodes += visited;
    return mask;
  }
}

/** One sequence's position in the grammar: the mask for the next token, and advancing by the chosen token. */
export class GrammarMatcher {
  /** Current parser state (DEAD once a refused token was forced in). */
  state: number;
  /** Tokens accepted so far. */
  tokens = 0;

  constructor(
    /** Masks of this grammar over the sequence's vocabulary. */
    readonly masks: TokenMasks,
  ) {
    this.state = masks.automaton.start;
  }

  /** Allowed next tokens (end-of-generation tokens only where the grammar accepts). */
  mask(): Uint32Array {
    return this.masks.mask(this.state);
  }

  /** Whether the text so far is a complete sentence. */
  get accepting(): boolean {
    return this.state !== DEAD && this.masks.automaton.accepting(this.state);
  }

  /** Whether nothing but the end may follow. */
  get final(): boolean {
    return this.state !== DEAD && this.masks.automaton.final(this.state);
  }

  /** Advances by `token`; false (and the matcher is dead) if the grammar refuses it. */
  accept(token: number): boolean {
    if (this.state === DEAD) return false;
    if (this.masks.endTokens.includes(token)) {
      if (!this.accepting) this.state = DEAD;
      return this.state !== DEAD;
    }
    const bytes = this.masks.trie.tokenBytes(token);
    this.state = bytes.length === 0 ? DEAD : this.masks.automaton.walk(this.state, bytes);
    if (this.state !== DEAD) this.tokens++;
    return this.state !== DEAD;
  }
}
