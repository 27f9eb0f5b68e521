/**
 * The grammar's parser as a lazily determinized automaton. A parser stack is a hash-consed linked list of
 * positions (so stacks share tails and compare by id); a parser state is the set of stacks alive after some
 * input, interned to a small integer; a transition (state, byte) is computed once and kept in a flat table.
 * Tail calls do not push (a rule reference that ends an alternative returns straight to its caller), so the
 * right-recursive loops that repetitions lower to run in constant stack. Everything here depends only on the
 * grammar, never on a vocabulary: one automaton serves every request and tokenizer of its grammar.
 */
import { GrammarLimitError } from "./errors.ts";
import { END, type Grammar, setBits, setHas } from "./grammar.ts";

/**
 * Process-wide names of canonical rule closures (so equal sub-grammars of different grammars get equal frame keys).
 * Ids are never reused, even after the map starts over, so a stale key can miss but never match a different rule.
 */
const closureIds = new Map<string, string>();
let nextClosureId = 0;
const MAX_CLOSURES = 4096;
/** Process-wide short names of byte sets by their 256 bits (closure forms and frame keys name sets by them); never reused either. */
const setIds = new Map<string, string>();
let nextSetId = 0;
const MAX_SET_IDS = 1 << 16;

/** Transition table value for a byte that no stack accepts. */
export const DEAD = -1;

/** The shared automaton of one grammar. */
export class GrammarAutomaton {
  /** Node position (index into `grammar.elems`). */
  #nodePos = new Int32Array(1024);
  /** Node parent (-1: the root caller). */
  #nodeParent = new Int32Array(1024);
  #nodeStamp = new Int32Array(1024);
  #nodeCount = 0;
  /** Open-addressing hash of nodes by (position, parent): node id + 1, 0 empty (a Map keyed by a pair costs more). */
  #nodeSlots = new Int32Array(2048);
  /** Terminal-topped stacks of each state. */
  readonly #stateNodes: Int32Array[] = [];
  /** First state of each stack-set hash; `#sameHash` chains the others with that hash (-1 ends a chain). */
  readonly #stateIds = new Map<number, number>();
  #sameHash = new Int32Array(256);
  /** 1 when the input so far is a complete sentence. */
  #accepting = new Uint8Array(256);
  /**
   * `table[state * width + classOf[byte]]`: 0 unknown, DEAD, else next state + 1. One entry per byte class, not per
   * byte (a few dozen classes): a new state's row is small, and so is the copy when the table grows.
   */
  table: Int32Array;
  /** Byte class of each byte (see `byteClass`). */
  readonly classOf: Uint8Array;
  /** Entries per state in `table`: the number of byte classes. */
  readonly width: number;
  #stamp = 0;
  readonly #out: number[] = [];
  #accept = false;
  /** The state before any input. */
  readonly start: number;
  /** Elements plus one never-matching terminal: the "rest of the stack" placeholder that frame analysis cuts to. */
  readonly #elems: Int32Array;
  readonly #sets: Uint32Array;
  #hasCut = new Uint8Array(256);
  /** Node standing for "whatever the stack holds below the frame": reaching it means the frame is complete. */
  readonly cut: number;

  constructor(readonly grammar: Grammar) {
    const nSets = grammar.sets.length / 8;
    this.#sets = new Uint32Array(grammar.sets.length + 8);
    this.#sets.set(grammar.sets);
    this.#elems = new Int32Array(grammar.elems.length + 2);
    this.#elems.set(grammar.elems);
    this.#elems[grammar.elems.length] = nSets;
    this.#elems[grammar.elems.length + 1] = END;
    this.width = this.byteClasses().length;
    this.classOf = this.#classOf!;
    this.table = new Int32Array(256 * this.width);
    this.cut = this.#node(grammar.elems.length, -1);
    this.#stamp++;
    this.#out.length = 0;
    this.#accept = false;
    for (const a of grammar.ruleAlts[grammar.root]!) this.#expand(a, -1);
    this.start = this.#intern();
  }

  /** Parser states created so far. */
  get states(): number {
    return this.#stateNodes.length;
  }

  /** Whether the input that led to `state` is a complete sentence of the grammar. */
  accepting(state: number): boolean {
    return this.#accepting[state] === 1;
  }

  /** Whether no byte can follow `state` (only the end of input). */
  final(state: number): boolean {
    return this.#stateNodes[state]!.length === 0;
  }

  /** The state after `byte`, or DEAD. Cached; the first call for a pair computes it. */
  next(state: number, byte: number): number {
    const v = this.table[state * this.width + this.classOf[byte]!]!;
    if (v !== 0) return v > 0 ? v - 1 : DEAD;
    return this.step(state, byte);
  }

  /** Computes and caches one transition (the slow path behind `next` and the mask walk). */
  step(state: number, byte: number): number {
    if (this.#refusedFilled[state] !== 1) {
      this.fillRefused(state);
      if (this.table[state * this.width + this.classOf[byte]!] === DEAD) return DEAD;
    }
    const elems = this.#elems, sets = this.#sets;
    this.#stamp++;
    this.#out.length = 0;
    this.#accept = false;
    const nodes = this.#stateNodes[state]!;
    for (let i = 0; i < nodes.length; i++) {
      const pos = this.#nodePos[nodes[i]!]!;
      if (setHas(sets, elems[pos]!, byte)) this.#expand(pos + 1, this.#nodeParent[nodes[i]!]!);
    }
    const next = this.#out.length === 0 && !this.#accept ? DEAD : this.#intern();
    // Bytes in exactly the same sets lead to the same state: one entry serves the whole class; so does every class
    // taken by exactly the same stacks of this state (they advance the same stacks: a string's characters, mostly).
    const row = state * this.width, cls = this.classOf[byte]!, value = next === DEAD ? DEAD : next + 1;
    const takers = this.#takers[state];
    if (takers === undefined) this.table[row + cls] = value;
    else for (let c = 0, mine = takers[cls]!; c < this.width; c++) if (takers[c] === mine) this.table[row + c] = value;
    return next;
  }

  #refusedFilled = new Uint8Array(256);
  readonly #live = new Uint32Array(8);
  /** Per state whose row `fillRefused` filled (and with at most 31 stacks): which of its stacks take each byte class, as a bit set. */
  readonly #takers: (Int32Array | undefined)[] = [];

  /**
   * Marks in the table every byte class no stack of `state` can take (outside the union of its terminals' sets) as
   * DEAD, at once: narrow states refuse most bytes, and this spares a step per refused class. States of at most 31
   * stacks also learn which stacks take each class, so that one step fills every class taken by the same stacks.
   */
  fillRefused(state: number): void {
    if (this.#refusedFilled[state] === 1) return;
    while (state >= this.#refusedFilled.length) this.#refusedFilled = grow(this.#refusedFilled);
    this.#refusedFilled[state] = 1;
    const elems = this.#elems, sets = this.#sets, nodes = this.#stateNodes[state]!, table = this.table, row = state * this.width;
    if (nodes.length <= 31) {
      // The row is still all unknown (steps fill it only after this).
      const takers = this.#takersOf(nodes);
      for (let c = 0; c < this.width; c++) table[row + c] = takers[c] === 0 ? DEAD : 0;
      this.#takers[state] = takers;
      return;
    }
    const live = this.#live, classOf = this.classOf;
    live.fill(0);
    for (let i = 0; i < nodes.length; i++) {
      const set = elems[this.#nodePos[nodes[i]!]!]!;
      for (let w = 0; w < 8; w++) live[w]! |= sets[set * 8 + w]!;
    }
    // Mark the row all refused, then reopen the live bytes.
    table.fill(DEAD, row, row + this.width);
    for (let w = 0; w < 8; w++) for (let x = live[w]!; x !== 0; x &= x - 1) table[row + classOf[w * 32 + 31 - Math.clz32(x & -x)]!] = 0;
  }

  /** `#takersOf` by a hash of the stacks' byte sets (states of one repetition's positions have the same ones). */
  readonly #takersBySets = new Map<number, { readonly sets: Int32Array; readonly takers: Int32Array }[]>();
  #takersCount = 0;
  readonly #setsOfNodes = new Int32Array(31);

  /** Which of `nodes` (at most 31) take each byte class, as bit sets: the same for every state whose stacks have the same byte sets. */
  #takersOf(nodes: Int32Array): Int32Array {
    const elems = this.#elems, of = this.#setsOfNodes, n = nodes.length;
    let h = n;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ (of[i] = elems[this.#nodePos[nodes[i]!]!]!), 0x9e3779b1) ^ (h >>> 15);
    let bucket = this.#takersBySets.get(h);
    if (bucket) {
      for (const known of bucket) {
        let i = known.sets.length === n ? 0 : n + 1;
        while (i < n && known.sets[i] === of[i]) i++;
        if (i === n) return known.takers;
      }
    }
    const takers = new Int32Array(this.width);
    for (let i = 0; i < n; i++) {
      const classes = this.#classesOfSet(of[i]!);
      for (let k = 0; k < classes.length; k++) takers[classes[k]!]! |= 1 << i;
    }
    if (this.#takersCount++ >= 4096) this.#takersBySets.clear(), (this.#takersCount = 1), (bucket = undefined);
    if (!bucket) this.#takersBySets.set(h, (bucket = []));
    bucket.push({ sets: of.slice(0, n), takers });
    return takers;
  }

  readonly #setClasses: Uint8Array[] = [];

  /** The byte classes inside byte set `set` (computed once per set: most sets are one class or a few). */
  #classesOfSet(set: number): Uint8Array {
    let classes = this.#setClasses[set];
    if (classes === undefined) {
      const inside: number[] = [];
      for (let c = 0; c < this.width; c++) if (setHas(this.#sets, set, this.#classes[c]![0]!)) inside.push(c);
      this.#setClasses[set] = classes = Uint8Array.from(inside);
    }
    return classes;
  }

  #classOf: Uint8Array | undefined;
  readonly #classes: Uint8Array[] = [];

  /**
   * The bytes that belong to exactly the same byte sets of the grammar as `byte` (it included): they are
   * indistinguishable to the parser (a few dozen classes for a JSON Schema; computed with the automaton).
   */
  byteClass(byte: number): Uint8Array {
    return this.byteClasses()[this.#classOf![byte]!]!;
  }

  /** Every byte class (see `byteClass`), each a sorted list of bytes. */
  byteClasses(): readonly Uint8Array[] {
    if (!this.#classOf) {
      // Partition refinement: each set splits the classes it cuts, touching only its own bytes (most sets of a
      // grammar are single characters of its literals).
      // Per class (at most 256): its size, its bytes in the set being applied, and what the set splits it into.
      const classOf = new Uint8Array(256), sets = this.#sets, size = new Int32Array(256), hit = new Int32Array(256);
      const split = new Int32Array(256).fill(-1);
      size[0] = 256;
      const inSet = new Uint8Array(256), from = new Uint8Array(256);
      let count = 1;
      for (let set = 0; set * 8 < sets.length; set++) {
        // A set and its complement split the classes alike: the smaller of the two is walked (a string's character
        // sets hold most bytes).
        let m = 0, size256 = 0;
        for (let w = 0; w < 8; w++) size256 += popcount(sets[set * 8 + w]!);
        const flip = size256 > 128 ? -1 : 0;
        for (let w = 0; w < 8; w++) for (let x = (sets[set * 8 + w]! ^ flip) >>> 0; x !== 0; x &= x - 1) inSet[m++] = w * 32 + 31 - Math.clz32(x & -x);
        for (let i = 0; i < m; i++) hit[(from[i] = classOf[inSet[i]!]!)]!++;
        for (let i = 0; i < m; i++) {
          const c = from[i]!;
          if (split[c]! < 0) {
            // A class inside the set stays whole; one the set cuts gives its bytes in the set to a new class.
            split[c] = hit[c] === size[c] ? c : count++;
          }
          if (split[c] === c) continue;
          classOf[inSet[i]!] = split[c]!;
          size[c]!--;
          size[split[c]!]!++;
        }
        for (let i = 0; i < m; i++) {
          hit[from[i]!] = 0;
          split[from[i]!] = -1;
        }
      }
      const members: number[][] = Array.from({ length: count }, () => []);
      for (let b = 0; b < 256; b++) members[classOf[b]!]!.push(b);
      for (const m of members) this.#classes.push(Uint8Array.from(m));
      this.#classOf = classOf;
    }
    return this.#classes;
  }

  /** Follows `bytes` from `state`; DEAD as soon as one byte is refused. */
  walk(state: number, bytes: Uint8Array, from = 0, to = bytes.length): number {
    let s = state;
    for (let i = from; i < to && s !== DEAD; i++) s = this.next(s, bytes[i]!);
    return s;
  }

  /** Pushes every terminal-topped stack reachable from continuing at `pos` with return address `parent`. */
  #expand(pos: number, parent: number): void {
    const elems = this.#elems, { ruleAlts } = this.grammar;
    for (;;) {
      const e = elems[pos]!;
      if (e === END) {
        if (parent < 0) {
          this.#accept = true;
          return;
        }
        pos = this.#nodePos[parent]!;
        parent = this.#nodeParent[parent]!;
        continue;
      }
      const node = this.#node(pos, parent);
      if (this.#nodeStamp[node] === this.#stamp) return;
      this.#nodeStamp[node] = this.#stamp;
      if (e >= 0) {
        this.#out.push(node);
        if (this.#out.length > this.grammar.limits.maxStateWidth) {
          throw new GrammarLimitError(`a parser state holds more than ${this.grammar.limits.maxStateWidth} stacks (grammar too ambiguous)`);
        }
        return;
      }
      const ret = elems[pos + 1] === END ? parent : this.#node(pos + 1, parent), alts = ruleAlts[-2 - e]!;
      for (let i = 0; i < alts.length; i++) this.#expand(alts[i]!, ret);
      return;
    }
  }

  #node(pos: number, parent: number): number {
    const mask = this.#nodeSlots.length - 1;
    let slot = (Math.imul(pos, 0x9e3779b1) ^ Math.imul(parent + 1, 0x85ebca6b)) & mask;
    for (let id = this.#nodeSlots[slot]! - 1; id >= 0; slot = (slot + 1) & mask, id = this.#nodeSlots[slot]! - 1) {
      if (this.#nodePos[id] === pos && this.#nodeParent[id] === parent) return id;
    }
    const id = this.#nodeCount++;
    if (id >= this.#nodePos.length) {
      this.#nodePos = grow(this.#nodePos);
      this.#nodeParent = grow(this.#nodeParent);
      this.#nodeStamp = grow(this.#nodeStamp);
    }
    this.#nodePos[id] = pos;
    this.#nodeParent[id] = parent;
    this.#nodeSlots[slot] = id + 1;
    if (this.#nodeCount * 2 > this.#nodeSlots.length) this.#rehashNodes();
    return id;
  }

  /** Doubles the node hash (kept at most half full). */
  #rehashNodes(): void {
    const slots = new Int32Array(this.#nodeSlots.length * 2), mask = slots.length - 1;
    for (let id = 0; id < this.#nodeCount; id++) {
      let slot = (Math.imul(this.#nodePos[id]!, 0x9e3779b1) ^ Math.imul(this.#nodeParent[id]! + 1, 0x85ebca6b)) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.#nodeSlots = slots;
  }

  /** The state whose only stack is `node` with the stack below `depth` frames replaced by `cut` (frame analysis). */
  frameState(node: number, depth: number): number {
    const chain: number[] = [];
    for (let n = node; n >= 0 && chain.length < depth; n = this.#nodeParent[n]!) chain.push(n);
    const bottom = chain.length === depth && this.#nodeParent[chain[depth - 1]!]! >= 0 ? this.cut : -1;
    let parent = bottom;
    for (let i = chain.length - 1; i >= 1; i--) parent = this.#node(this.#nodePos[chain[i]!]!, parent);
    this.#out.length = 0;
    this.#out.push(this.#node(this.#nodePos[node]!, parent));
    this.#accept = false;
    return this.#intern();
  }

  /** The state whose only stack is the terminal at `pos` over `parent` (what follows a run of characters, `TokenMasks`). */
  stackState(pos: number, parent: number): number {
    this.#out.length = 0;
    this.#out.push(this.#node(pos, parent));
    this.#accept = false;
    return this.#intern();
  }

  /**
   * A key equal for the top `depth` frames of two stacks (in any two grammars) exactly when those frames have the
   * same structure: the element sequences from each frame's position (byte sets spelled out, rule references as
   * the process-wide id of the referenced rule's canonical closure) and what lies below (the cut or the end of
   * input). Frames with equal keys accept the same token byte strings, so their token sets can be shared across
   * grammars. Undefined when a referenced rule reaches more than `maxRules` rules (rarely shared, costly to key).
   */
  frameKey(node: number, depth: number, maxRules: number): string | undefined {
    let n = node, key = "";
    for (let d = 0; n >= 0 && d < depth; d++, n = this.#nodeParent[n]!) {
      const part = this.#positionKey(this.#nodePos[n]!, maxRules);
      if (part === undefined) return undefined;
      key += `;${part}`;
    }
    return (n >= 0 ? "cut" : "end") + key;
  }

  readonly #positionKeys = new Map<number, string | null>();

  /** The key part of one position (its sequence, rules named by closure ids), computed once per position. */
  #positionKey(pos: number, maxRules: number): string | undefined {
    const memo = pos * 1024 + maxRules;
    let key = this.#positionKeys.get(memo);
    if (key === undefined) this.#positionKeys.set(memo, (key = this.#sequence(pos, (rule) => this.#closureId(rule, maxRules)) ?? null));
    return key ?? undefined;
  }

  /**
   * A number equal for two nodes when their positions, their parents' positions and whether a grandparent exists
   * are: all `frameKey` reads for depths 1 and 2 (and `refersToRule`), so such nodes have the same keys.
   */
  frameShape(node: number): number {
    const parent = this.#nodeParent[node]!;
    const above = parent < 0 ? -1 : this.#nodePos[parent]!;
    const below = parent >= 0 && this.#nodeParent[parent]! >= 0 ? 1 : 0;
    return (this.#nodePos[node]! * (this.#elems.length + 1) + above + 1) * 2 + below;
  }

  /**
   * Terminal positions followed in their alternative by a rule reference: where a stack's top frame alone can hold a
   * loop, so one-frame analyses are kept (see `refersToRule`).
   */
  framePositions(): number[] {
    const out: number[] = [], elems = this.#elems;
    for (const alts of this.grammar.ruleAlts) {
      for (let k = 0; k < alts.length; k++) {
        const a = alts[k]!;
        let end = a;
        while (elems[end] !== END) end++;
        let ref = false;
        for (let p = end - 1; p >= a; p--) {
          if (elems[p]! < END) ref = true;
          else if (ref) out.push(p);
        }
      }
    }
    return out;
  }

  /** The node of position `pos` over the cut: a top frame whose key and analysis are those of any stack at `pos`. */
  frameNode(pos: number): number {
    return this.#node(pos, this.cut);
  }

  /** Whether the rest of `node`'s alternative refers to a rule (so a one-frame analysis can hold a loop). */
  refersToRule(node: number): boolean {
    for (let p = this.#nodePos[node]!; ; p++) {
      const e = this.#elems[p]!;
      if (e === END) return false;
      if (e < END) return true;
    }
  }

  /** Elements from `from` to the end of the alternative, rule references named by `name` (undefined: give up). */
  #sequence(from: number, name: (rule: number) => string | undefined): string | undefined {
    const elems = this.#elems;
    let out = "";
    for (let p = from; ; p++) {
      const e = elems[p]!;
      if (e === END) return out;
      if (e >= 0) {
        out += `${this.#setKey(e)} `;
        continue;
      }
      const id = name(-2 - e);
      if (id === undefined) return undefined;
      out += `${id} `;
    }
  }

  readonly #closures: (string | null)[] = [];

  /** Process-wide id of the canonical form of `rule` and every rule it reaches (rules renumbered in visit order). */
  #closureId(rule: number, maxRules: number): string | undefined {
    const known = this.#closures[rule];
    if (known !== undefined) return known ?? undefined;
    if (!this.#reachesAtMost(rule, maxRules)) {
      this.#closures[rule] = null;
      return undefined;
    }
    // Within the limit (checked above), so every reference gets a local number and every sequence a key.
    const renumbered = new Map<number, number>([[rule, 0]]), queue = [rule], { ruleAlts } = this.grammar;
    const local = (r: number): string => {
      let id = renumbered.get(r);
      if (id === undefined) {
        renumbered.set(r, (id = queue.length));
        queue.push(r);
      }
      return `r${id}`;
    };
    const alts: string[] = [];
    for (let i = 0; i < queue.length; i++) {
      const starts = ruleAlts[queue[i]!]!;
      for (let k = 0; k < starts.length; k++) alts.push(this.#sequence(starts[k]!, local)!);
      alts.push("/");
    }
    const form = alts.join("|");
    let id = closureIds.get(form);
    if (id === undefined) {
      if (closureIds.size >= MAX_CLOSURES) closureIds.clear();
      closureIds.set(form, (id = `R${nextClosureId++}`));
    }
    this.#closures[rule] = id;
    return id;
  }

  #seen = new Int32Array(0);
  #seenEpoch = 0;

  /**
   * Whether `rule` reaches at most `max` rules (itself included): a walk over rule numbers only, so that a closure too
   * large to key (the rest of an object, typically) is refused before any of its key text is built.
   */
  #reachesAtMost(rule: number, max: number): boolean {
    const { ruleAlts } = this.grammar, elems = this.#elems;
    if (this.#seen.length < ruleAlts.length) this.#seen = new Int32Array(ruleAlts.length);
    const seen = this.#seen, epoch = ++this.#seenEpoch, queue = [rule];
    seen[rule] = epoch;
    for (let i = 0; i < queue.length; i++) {
      const starts = ruleAlts[queue[i]!]!;
      for (let k = 0; k < starts.length; k++) {
        for (let p = starts[k]!; elems[p] !== END; p++) {
          const e = elems[p]!;
          if (e >= 0 || seen[-2 - e] === epoch) continue;
          // A rule known to reach too many rules makes every rule reaching it do so too.
          if (queue.length >= max || this.#closures[-2 - e] === null) return false;
          seen[-2 - e] = epoch;
          queue.push(-2 - e);
        }
      }
    }
    return true;
  }

  readonly #setKeys: string[] = [];

  /**
   * The process-wide short name of byte set `set` ("s" and a base-36 number; no space, which separates a sequence's
   * elements): keys and closure forms are built and hashed often, and were 17 units per set when they spelled the bits.
   */
  #setKey(set: number): string {
    let key = this.#setKeys[set];
    if (key === undefined) {
      const bits = setBits(this.#sets, set * 8);
      let id = setIds.get(bits);
      if (id === undefined) {
        if (setIds.size >= MAX_SET_IDS) setIds.clear();
        setIds.set(bits, (id = `s${(nextSetId++).toString(36)}`));
      }
      this.#setKeys[set] = key = id;
    }
    return key;
  }

  /** The byte set (index into `grammar.sets`) the terminal on top of `node`'s stack takes. */
  setOf(node: number): number {
    return this.#elems[this.#nodePos[node]!]!;
  }

  /** The grammar position (index into `grammar.elems`) on top of `node`'s stack; `grammar.elems.length` for `cut`. */
  positionOf(node: number): number {
    return this.#nodePos[node]!;
  }

  /** The node below `node` on its stack (-1: none). */
  parentOf(node: number): number {
    return this.#nodeParent[node]!;
  }

  /** The stacks of `state` (node ids, read-only). */
  nodesOf(state: number): Int32Array {
    return this.#stateNodes[state]!;
  }

  /** Whether `state` may have completed the analysed frame (holds the `cut` node). */
  reachedCut(state: number): boolean {
    return this.#hasCut[state] === 1;
  }

  /** Interns the state of the stacks in `#out` (plus `#accept`): states are found by a hash of their sorted stacks. */
  #intern(): number {
    const out = this.#out, n = out.length, accept = this.#accept ? 1 : 0;
    // Sorted in place; insertion sort for the usual handful of stacks (no comparator calls, no copy).
    if (n > 32) out.sort((x, y) => x - y);
    else {
      for (let i = 1; i < n; i++) {
        const v = out[i]!;
        let j = i - 1;
        for (; j >= 0 && out[j]! > v; j--) out[j + 1] = out[j]!;
        out[j + 1] = v;
      }
    }
    let h = accept;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ out[i]!, 0x9e3779b1) ^ (h >>> 15);
    const head = this.#stateIds.get(h);
    for (let id = head ?? -1; id >= 0; id = this.#sameHash[id]!) {
      if (this.#accepting[id] === accept && sameNodes(this.#stateNodes[id]!, out)) return id;
    }
    const nodes = new Int32Array(n);
    for (let i = 0; i < n; i++) nodes[i] = out[i]!;
    const id = this.#stateNodes.length;
    if (id >= this.grammar.limits.maxStates) throw new GrammarLimitError(`more than ${this.grammar.limits.maxStates} parser states`);
    this.#stateNodes.push(nodes);
    this.#stateIds.set(h, id);
    if (id >= this.#accepting.length) {
      this.#accepting = grow(this.#accepting);
      this.#hasCut = grow(this.#hasCut);
      this.#sameHash = grow(this.#sameHash);
    }
    this.#sameHash[id] = head ?? -1;
    this.#accepting[id] = accept;
    this.#hasCut[id] = nodes.includes(this.cut) ? 1 : 0;
    if ((id + 1) * this.width > this.table.length) this.table = grow(this.table);
    return id;
  }
}

/** Bits set in a 32-bit word. */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

function sameNodes(a: Int32Array, b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function grow<T extends Int32Array | Uint8Array>(a: T): T {
  const b = new (a.constructor as { new (n: number): T })(a.length * 2);
  b.set(a);
  return b;
}
