/**
 * Which rules can match within a JSON number (`-12.5e+3`): the others are left out of the stream that gates numbers,
 * which then finds exactly what the whole set finds there, with a fraction of the scanners (a tool call's arguments
 * hold many numbers).
 */
import { normalisePhrases } from "./content/phrases.ts";
import { NUMBER_STATES, numberStep } from "./json-number.ts";
import { OP_ASSERT, OP_JUMP, OP_MATCH, OP_SET, OP_SPLIT, type Program } from "./regex/program.ts";
import type { CompiledRule } from "./stream.ts";

/** A JSON number's characters (both cases of the exponent mark: a rule may read the raw or the folded view). */
const NUMBER_CHARS = [..."0123456789.+-eE"].map((c) => c.charCodeAt(0));

/**
 * Whether some path through `program` reaches MATCH reading a substring of a JSON number, i.e. along a path of the
 * number DFA from any state (assertions taken as passing: an over-approximation): a search over (instruction, number
 * state) pairs.
 */
function programCanMatchNumber(program: Program): boolean {
  const states = NUMBER_STATES;
  const seen = new Uint8Array(program.op.length * states);
  const todo: number[] = [];
  const visit = (pc: number, state: number) => {
    if (seen[pc * states + state] === 0) {
      seen[pc * states + state] = 1;
      todo.push(pc, state);
    }
  };
  for (let state = 0; state < states; state++) visit(program.start, state);
  while (todo.length > 0) {
    const state = todo.pop()!, pc = todo.pop()!;
    const op = program.op[pc]!;
    if (op === OP_MATCH) return true;
    if (op === OP_SPLIT) {
      visit(program.next[pc]!, state);
      visit(program.alt[pc]!, state);
    } else if (op === OP_JUMP || op === OP_ASSERT) visit(program.next[pc]!, state);
    else if (op === OP_SET) {
      for (const c of NUMBER_CHARS) {
        const to = numberStep(state, c);
        if (to >= 0 && program.asciiSets[program.arg[pc]! * 128 + c] === 1) visit(program.next[pc]!, to);
      }
    }
  }
  return false;
}

/**
 * Whether `rule` might match within a JSON number's text: false only when that is certain (a program with no such
 * path, phrases each needing another character); scanners of other kinds (names, kernels) count as able.
 */
export function canMatchNumber(rule: CompiledRule): boolean {
  const program = rule.program;
  if (program) return programCanMatchNumber(program);
  if (rule.rule.type === "phrases") {
    // Phrases as the folded view spells them: one needing no other character might be (part of) a number.
    const allowed = new Set(NUMBER_CHARS.map((c) => String.fromCharCode(c).toLowerCase()));
    return normalisePhrases(rule.rule.phrases).some((p) => [...p].every((c) => allowed.has(c)));
  }
  return true;
}
