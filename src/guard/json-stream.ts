/**
 * JsonTextGate: the output gates over streamed JSON text (tool-call `arguments`). Checking each fragment alone, or
 * the raw JSON text, misses a value split across fragments or written with escapes (`bob\u0040example.com`), so
 * every string token (keys and values) is DECODED and its content runs through one gate stream of its own; what
 * the gates release is re-escaped into the output (JSON.stringify's rules), so the released text stays valid JSON
 * equal to the input except for redactions.
 *
 * The tokenizer is hand-written: no npm JSON streamer hands out string content piecewise with a hold-back that
 * another component (the gates) decides, nor resumes inside an escape or a surrogate pair at a fragment edge.
 *
 * - Strings: the opening quote is released at once; the content as the gates release it; the closing quote when
 *   the gate stream has ended. One stream serves every string of the document in turn, restarted at each opening
 *   quote (opening a stream allocates its scanners and buffers; restarting reuses them).
 *   Escapes are re-written canonically (`\u0041` → `A`, `\/` → `/`): output is byte-identical only where the input
 *   escapes as JSON.stringify does (the usual case for SDK/model output).
 * - Numbers: held whole (a number's type can only be kept if its text is unchanged, which is known at its end),
 *   then gated with `scan`; if a gate changes it (a card written as a JSON number) the replacement is emitted as a
 *   JSON STRING: the type changes, the value does not leak. A number is therefore limited to the gates' own
 *   hold-back bound (`maxHoldBack`, ≥ 270 000 characters for the default policy).
 * - Literals, whitespace and structural characters are released as soon as they are validated.
 * - Malformed text: the step carries `error` naming the UTF-8 byte offset; whatever was held is dropped (never
 *   released: a held partial secret is still a secret) and nothing is released after that point.
 * - Matches are found within one token: a secret split across two strings (`["4111 1111", "1111 1111"]`) is not.
 * - With a tool's argument rules, each string and number VALUE is read by the gate set for its place in the document
 *   (member names and indexes from the root, tracked as the text streams); keys are read by the output gates.
 */
import type { Finding, GateSet, GateStep, TextStream } from "../gates/mod.ts";
import { HoldBackBuffer } from "../gates/stream.ts";
import { N_START, NUMBER_ENDS, numberStep } from "../gates/json-number.ts";
import type { ToolArgumentGates } from "./argument-rules.ts";
import { MAX_JSON_PATH_LENGTH } from "./json-path.ts";

/** Deepest nesting of objects/arrays accepted (a 65th level is an error). */
export const MAX_JSON_DEPTH = 64;
/** Longest string content (raw UTF-16 units between the quotes, escapes as written) or number; longer is an error. */
export const MAX_JSON_TOKEN = 1 << 20;

/** A gate finding inside one JSON token. */
export interface JsonFinding extends Finding {
  /** UTF-8 byte offset in the JSON text of the token (opening quote or first character of a number); `start`/`end` are the gates' offsets within the token's decoded content. */
  token: number;
}

/** What one push/end released (GateStep plus `error`). */
export interface JsonGateStep {
  /** JSON text safe to send now. */
  text: string;
  /** Matches resolved in this step, in stream order. */
  findings: JsonFinding[];
  /** The block-action match that stopped the stream; repeated on every later step. */
  blocked?: JsonFinding;
  /** Why the text is not (or cannot become) valid JSON, with the byte offset; repeated on every later step. */
  error?: string;
}

// Tokenizer states.
const VALUE = 0, ARRAY_FIRST = 1, OBJECT_FIRST = 2, KEY = 3, COLON = 4, AFTER = 5, STRING = 6, ESCAPE = 7,
  NUMBER = 8, LITERAL = 9, DONE = 10;

const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** Decoded content → JSON string content (JSON.stringify's escapes; released text never splits a surrogate pair). */
const escapeContent = (s: string): string => NEEDS_ESCAPE.test(s) ? JSON.stringify(s).slice(1, -1) : s;

const SHORT_ESCAPES: Record<number, string> = { 34: "\"", 92: "\\", 47: "/", 98: "\b", 102: "\f", 110: "\n", 114: "\r", 116: "\t" };
const isWhitespace = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const hexValue = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;

/** One JSON document streamed through a GateSet. */
export class JsonTextGate {
  private state = VALUE;
  /** Open containers, innermost last: 123 `{` or 91 `[`. */
  private readonly stack = new Uint8Array(MAX_JSON_DEPTH);
  private depth = 0;
  /** UTF-16 units of all earlier fragments. */
  private units = 0;
  /** UTF-8 bytes beyond one per UTF-16 unit seen so far (non-ASCII only occurs inside strings). */
  private extraBytes = 0;
  /** Gate stream of the current string token (undefined between strings). */
  private gate: TextStream | undefined;
  /** The one stream every string and number of this document is gated through, restarted per token. */
  private stream: TextStream | undefined;
  /** Streams of the argument rules' gate sets, one per set met, restarted per token. */
  private streams: Map<GateSet, TextStream> | undefined;
  /** Member name or array index of each open container's current child (with argument rules only). */
  private readonly at: (string | number)[] = [];
  /** The current key's decoded text (appended to only while it could still equal a path's name). */
  private key = "";
  /** Gate set of the current number. */
  private numberGates: GateSet;
  private tokenIsKey = false;
  /** UTF-16 offset of the current string/number token (its quote or first character). */
  private tokenUnits = 0;
  /** Byte offset of the current token (for findings). */
  private tokenByte = 0;
  /** Pending escape (`\`, `\u00`…), at most 6 units. */
  private escape = "";
  /** The current number's text so far. */
  private number = "";
  private numberState = N_START;
  private literal = "";
  private literalAt = 0;
  private ended = false;
  private blockedBy: JsonFinding | undefined;
  private failure: string | undefined;
  /** Longest number accepted: a number is held whole, so the gates' hold-back bound caps it. */
  private readonly maxNumber: number;

  constructor(
    private readonly gates: GateSet,
    /** The tool's argument rules by JSON path, if the policy has any for it. */
    private readonly rules?: ToolArgumentGates,
  ) {
    this.maxNumber = Math.min(MAX_JSON_TOKEN, gates.maxHoldBack);
    this.numberGates = gates;
  }

  /** Units withheld: the gate stream's, a pending escape, a pending number (≤ maxHoldBack + 6). */
  get held(): number {
    if (this.failure !== undefined || this.blockedBy || this.ended) return 0;
    return (this.gate ? this.gate.held : 0) + this.escape.length + this.number.length;
  }

  /** Feed one fragment of JSON text. */
  push(fragment: string): JsonGateStep {
    if (this.failure !== undefined || this.blockedBy || this.ended) return this.closedStep();
    const step = this.run(fragment);
    this.units += fragment.length;
    return step;
  }

  /** The document is over: an incomplete one is an error (held text is dropped, not released). */
  end(): JsonGateStep {
    if (this.failure !== undefined || this.blockedBy || this.ended) return this.closedStep();
    this.ended = true;
    const out: string[] = [], findings: JsonFinding[] = [];
    if (this.state === NUMBER && this.depth === 0) {
      if (!NUMBER_ENDS[this.numberState]) return this.fail(out, findings, this.byteAt(0), "number ends early");
      if (this.finishNumber(out, findings)) return this.result(out, findings);
      this.state = DONE;
    }
    if (this.state !== DONE) return this.fail(out, findings, this.byteAt(0), "unexpected end of JSON text");
    this.release();
    return this.result(out, findings);
  }

  /** The document is over (ended, failed or blocked): its streams go back to their sets for later documents. */
  private release(): void {
    this.gate = undefined;
    if (this.stream) this.gates.recycle?.(this.stream);
    this.stream = undefined;
    if (this.streams) for (const [set, stream] of this.streams) set.recycle?.(stream);
    this.streams = undefined;
  }

  private closedStep(): JsonGateStep {
    if (this.failure !== undefined) return { text: "", findings: [], error: this.failure };
    return this.blockedBy ? { text: "", findings: [], blocked: this.blockedBy } : { text: "", findings: [] };
  }

  /** Byte offset of index `i` of the current fragment (valid while extraBytes counts only what precedes `i`). */
  private byteAt(i: number): number {
    return this.units + i + this.extraBytes;
  }

  private result(out: string[], findings: JsonFinding[]): JsonGateStep {
    const step: JsonGateStep = { text: out.length === 1 ? out[0]! : out.join(""), findings };
    if (this.blockedBy) step.blocked = this.blockedBy;
    return step;
  }

  private fail(out: string[], findings: JsonFinding[], byte: number, why: string): JsonGateStep {
    this.failure = `invalid JSON at byte ${byte}: ${why}`;
    this.release();
    this.escape = this.number = "";
    return { ...this.result(out, findings), error: this.failure };
  }

  /** Take a gate step into the output; true if it blocked. */
  private take(step: GateStep, out: string[], findings: JsonFinding[], escape: boolean): boolean {
    if (step.text.length > 0) out.push(escape ? escapeContent(step.text) : step.text);
    let blocked: JsonFinding | undefined;
    for (const f of step.findings) {
      const finding: JsonFinding = { ...f, token: this.tokenByte };
      if (f === step.blocked) blocked = finding;
      findings.push(finding);
    }
    if (!step.blocked) return false;
    this.blockedBy = blocked ?? { ...step.blocked, token: this.tokenByte };
    this.release();
    this.number = "";
    return true;
  }

  /** A value just ended. */
  private valueDone(): void {
    this.state = this.depth === 0 ? DONE : AFTER;
  }

  /** Gate the finished number; true if it blocked. */
  private finishNumber(out: string[], findings: JsonFinding[]): boolean {
    const text = this.number;
    this.number = "";
    // Through the document's restartable stream, not GateSet.scan: ~15% less per number (no buffer hand-over).
    const stream = this.streamOf(this.numberGates.numbers ?? this.numberGates);
    stream.restart();
    const step = pushLast(stream, text);
    if (step.blocked) return this.take(step, out, findings, false);
    // Changed by a gate → a JSON string (type changes, the value does not leak).
    this.take(step.text === text ? step : { ...step, text: JSON.stringify(step.text) }, out, findings, false);
    return false;
  }

  /** The string's content so far grew by `content`: through its gate stream. */
  private feedString(content: string, out: string[], findings: JsonFinding[]): boolean {
    if (this.rules && this.tokenIsKey) this.keyGrew(content);
    return content.length > 0 && this.take(this.gate!.push(content), out, findings, true);
  }

  private run(f: string): JsonGateStep {
    const out: string[] = [], findings: JsonFinding[] = [];
    const n = f.length;
    /** Start of the pending run of structural text/literals/whitespace to release as one slice. */
    let from = 0;
    /** Decoded content of the current string within this fragment. */
    let content = "";
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case STRING: {
          // Plain run: slice it, never concatenate per character.
          // Content index MAX_JSON_TOKEN (after the opening quote) is the first one too many.
          const limit = this.tokenUnits + 1 + MAX_JSON_TOKEN - this.units;
          const stop = limit < n ? limit : n;
          const runStart = i;
          let c = 0;
          for (; i < stop; i++) {
            c = f.charCodeAt(i);
            if (c === 34 || c === 92 || c < 0x20) break;
            if (c >= 0x80) this.extraBytes += c < 0x800 || (c >= 0xd800 && c < 0xe000) ? 1 : 2;
          }
          if (i > runStart) content = content.length === 0 ? f.slice(runStart, i) : content + f.slice(runStart, i);
          if (i === n) break;
          c = f.charCodeAt(i);
          if (i >= limit && c !== 34) return this.fail(out, findings, this.byteAt(i), `string longer than ${MAX_JSON_TOKEN} characters`);
          if (c === 92) { this.escape = "\\"; this.state = ESCAPE; i++; break; }
          if (c < 0x20) return this.fail(out, findings, this.byteAt(i), `control character U+${c.toString(16).padStart(4, "0")} in a string`);
          // Closing quote: the gate stream ends here (a short string is gated whole now).
          const gate = this.gate!;
          this.gate = undefined;
          if (this.rules && this.tokenIsKey) this.at[this.depth - 1] = this.keyGrew(content);
          if (this.take(pushLast(gate, content), out, findings, true)) return this.result(out, findings);
          content = "";
          i++;
          from = i - 1; // the closing quote starts the next structural run
          this.state = this.tokenIsKey ? COLON : (this.depth === 0 ? DONE : AFTER);
          break;
        }
        case ESCAPE: {
          const c = f.charCodeAt(i);
          const esc = this.escape;
          if (this.units + i - this.tokenUnits - 1 >= MAX_JSON_TOKEN) {
            return this.fail(out, findings, this.byteAt(i), `string longer than ${MAX_JSON_TOKEN} characters`);
          }
          if (esc.length === 1) {
            const short = SHORT_ESCAPES[c];
            if (short !== undefined) {
              content += short; this.escape = ""; this.state = STRING; i++;
            } else if (c === 117) {
              this.escape = "\\u"; i++;
            } else {
              return this.fail(out, findings, this.byteAt(i), `invalid escape \\${String.fromCharCode(c)}`);
            }
          } else {
            if (hexValue(c) < 0) return this.fail(out, findings, this.byteAt(i), "invalid \\u escape (4 hex digits expected)");
            i++;
            if (esc.length === 5) {
              const code = parseInt(esc.slice(2) + String.fromCharCode(c), 16);
              content += String.fromCharCode(code); this.escape = ""; this.state = STRING;
            } else {
              this.escape = esc + String.fromCharCode(c);
            }
          }
          break;
        }
        case NUMBER: {
          const limit = Math.min(n, this.tokenUnits + this.maxNumber - this.units);
          const runStart = i;
          let st = this.numberState;
          for (; i < n && i < limit; i++) {
            const c = f.charCodeAt(i);
            const next = numberStep(st, c);
            if (next < 0) break;
            st = next;
          }
          this.numberState = st;
          if (i > runStart) this.number += f.slice(runStart, i);
          if (i === n) break;
          if (i >= limit && numberStep(st, f.charCodeAt(i)) >= 0) {
            return this.fail(out, findings, this.byteAt(i), `number longer than ${this.maxNumber} characters`);
          }
          if (!NUMBER_ENDS[st]) return this.fail(out, findings, this.byteAt(i), "invalid number");
          if (this.finishNumber(out, findings)) return this.result(out, findings);
          from = i;
          this.valueDone();
          break;
        }
        case LITERAL: {
          const c = f.charCodeAt(i);
          if (c !== this.literal.charCodeAt(this.literalAt)) {
            return this.failStructural(out, findings, f, from, i, `invalid literal (expected "${this.literal}")`);
          }
          i++;
          if (++this.literalAt === this.literal.length) this.valueDone();
          break;
        }
        default: {
          // Structural states: whitespace and punctuation, released as one slice.
          const c = f.charCodeAt(i);
          if (isWhitespace(c)) { i++; break; }
          const st = this.state;
          if (st === DONE) return this.failStructural(out, findings, f, from, i, "unexpected data after the JSON value");
          if (st === COLON) {
            if (c !== 58) return this.failStructural(out, findings, f, from, i, "expected ':' after an object key");
            this.state = VALUE; i++; break;
          }
          if (st === AFTER) {
            const top = this.stack[this.depth - 1];
            if (c === 44) {
              this.state = top === 123 ? KEY : VALUE;
              if (this.rules && top === 91) this.at[this.depth - 1] = (this.at[this.depth - 1] as number) + 1;
              i++; break;
            }
            if ((c === 125 && top === 123) || (c === 93 && top === 91)) { this.close(); i++; this.valueDone(); break; }
            return this.failStructural(out, findings, f, from, i, top === 123 ? "expected ',' or '}'" : "expected ',' or ']'");
          }
          if (st === OBJECT_FIRST && c === 125) { this.close(); i++; this.valueDone(); break; }
          if (st === ARRAY_FIRST && c === 93) { this.close(); i++; this.valueDone(); break; }
          if (st === OBJECT_FIRST || st === KEY) {
            if (c !== 34) return this.failStructural(out, findings, f, from, i, "expected a string key");
            this.openString(f, from, i, true, out);
            i++; from = i; content = "";
            break;
          }
          // VALUE or ARRAY_FIRST: a value starts.
          if (c === 34) {
            this.openString(f, from, i, false, out);
            i++; from = i; content = "";
          } else if (c === 123 || c === 91) {
            if (this.depth === MAX_JSON_DEPTH) return this.failStructural(out, findings, f, from, i, `nesting deeper than ${MAX_JSON_DEPTH}`);
            this.stack[this.depth++] = c;
            if (this.rules) this.at.push(c === 123 ? "" : 0);
            this.state = c === 123 ? OBJECT_FIRST : ARRAY_FIRST;
            i++;
          } else if (c === 45 || isDigit(c)) {
            if (i > from) out.push(f.slice(from, i));
            this.tokenUnits = this.units + i;
            this.tokenByte = this.byteAt(i);
            this.number = "";
            this.numberState = N_START;
            if (this.rules) this.numberGates = this.rules.at(this.at);
            this.state = NUMBER;
            from = i;
          } else if (c === 116 || c === 102 || c === 110) {
            this.literal = c === 116 ? "true" : c === 102 ? "false" : "null";
            this.literalAt = 1;
            this.state = LITERAL;
            i++;
          } else {
            return this.failStructural(out, findings, f, from, i, "expected a JSON value");
          }
        }
      }
    }
    // Fragment over: release the pending structural run, push the string content so far.
    const st = this.state;
    if (st === STRING || st === ESCAPE) {
      if (this.feedString(content, out, findings)) return this.result(out, findings);
    } else if (st !== NUMBER && n > from) {
      out.push(f.slice(from, n));
    }
    return this.result(out, findings);
  }

  /** The document's stream over `set` (one per set met; every string and number restarts it). */
  private streamOf(set: GateSet): TextStream {
    if (set === this.gates) return (this.stream ??= set.open());
    this.streams ??= new Map();
    let stream = this.streams.get(set);
    if (!stream) this.streams.set(set, (stream = set.open()));
    return stream;
  }

  /** A container ends. */
  private close(): void {
    this.depth--;
    if (this.rules) this.at.pop();
  }

  /** The current key's text grew by `content` (beyond the longest name a path holds, its exact text no longer matters). */
  private keyGrew(content: string): string {
    if (this.key.length <= MAX_JSON_PATH_LENGTH) this.key += content;
    return this.key;
  }

  /** Release the structural run before `i`, then fail at `i`. */
  private failStructural(out: string[], findings: JsonFinding[], f: string, from: number, i: number, why: string): JsonGateStep {
    if (i > from) out.push(f.slice(from, i));
    return this.fail(out, findings, this.byteAt(i), why);
  }

  /** A string token opens at index `i`: release the structural run with its quote, start its gate stream. */
  private openString(f: string, from: number, i: number, isKey: boolean, out: string[]): void {
    out.push(f.slice(from, i + 1));
    this.tokenUnits = this.units + i;
    this.tokenByte = this.byteAt(i);
    this.tokenIsKey = isKey;
    if (this.rules) this.key = "";
    this.gate = this.streamOf(isKey || !this.rules ? this.gates : this.rules.at(this.at));
    this.gate.restart();
    this.state = STRING;
  }
}

/** A token's last content and its stream's end as one step (HoldBackBuffer reads it knowing the end). */
function pushLast(stream: TextStream, text: string): GateStep {
  if (stream instanceof HoldBackBuffer) return stream.pushLast(text);
  const first = stream.push(text), last = stream.end();
  const step: GateStep = { text: first.text + last.text, findings: first.findings.length === 0 ? last.findings : [...first.findings, ...last.findings] };
  if (first.blocked ?? last.blocked) step.blocked = first.blocked ?? last.blocked;
  return step;
}

/** Gate a whole JSON text at once (same as one push and end). */
export function gateJsonText(gates: GateSet, text: string): JsonGateStep {
  const gate = new JsonTextGate(gates);
  const first = gate.push(text), last = gate.end();
  const step: JsonGateStep = { text: first.text + last.text, findings: [...first.findings, ...last.findings] };
  const blocked = first.blocked ?? last.blocked, error = first.error ?? last.error;
  if (blocked) step.blocked = blocked;
  if (error !== undefined) step.error = error;
  return step;
}
