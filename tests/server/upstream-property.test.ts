/**
 * The property that would have caught the finish-reason breach: for ANY upstream event sequence (any chunking,
 * finish reasons of every kind and position, several choices, text in content, reasoning, refusal or tool-call
 * argument fields, error objects, comments, unknown fields and lines, cut streams) around planted secrets, no byte a
 * client receives through any door holds a planted secret, on the normalised view of what it received.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { ask, type Door, frame } from "./hostile-upstream.ts";
import { startHarness, type Harness } from "./harness.ts";

/** Secrets the default policy must never let out, in their canonical (normalised) form. */
const SECRETS = ["bob.smith@example.com", "4111 1111 1111 1111", "123-45-6789", "5500-0000-0000-0004", "carol@mail.example.net"];

/** Ways an upstream writes a secret so that it looks different but means the same. */
const DISGUISES: ((s: string) => string)[] = [
  (s) => s,
  (s) => s.replace(/[0-9@.-]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)), // fullwidth
  (s) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d))), // Arabic-Indic digits
  (s) => [...s].join("\u200b"), // zero-width spaces everywhere
  (s) => s.replace(/ /g, "\u00a0"), // no-break spaces
];

/** The view a secret is checked on: NFKC, default-ignorables and marks gone, any digit ASCII, whitespace runs one space. */
function normalised(text: string): string {
  return text.normalize("NFKC")
    .replace(/[\p{Default_Ignorable_Code_Point}\p{Mn}\p{Me}]/gu, "")
    .replace(/\p{Nd}/gu, (d) => String(digitValue(d)))
    .replace(/\s+/g, " ");
}

/** A decimal digit's value: its distance from the start of its run of ten (Unicode keeps each script's digits contiguous). */
function digitValue(d: string): number {
  const cp = d.codePointAt(0)!;
  for (let zero = cp; zero > cp - 10; zero--) if (!/\p{Nd}/u.test(String.fromCodePoint(zero - 1))) return cp - zero;
  return 0;
}

/** Filler without digits, `@` or symbols, so no secret can be extended or merged with it. */
const noise = fc.array(fc.constantFrom("ok", "the", "value", "is", "here", "Sure", "and", "then", "so"), { maxLength: 4 }).map((w) => w.join(" "));

/** A finish_reason as hostile upstreams send it: absent, null, empty, or a real one in the wrong place. */
const finish = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: fc.constant("") },
  { weight: 1, arbitrary: fc.constantFrom("stop", "length", "content_filter", "weird") },
);

/** One extra frame an upstream may slip between events. */
const extra = fc.oneof(
  fc.constant(": keep-alive\n\n"),
  fc.constant("junk without a field\n"),
  fc.constant("event: ping\ndata: {}\n\n"),
  fc.constant(frame({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } })),
  fc.constantFrom(...SECRETS).map((s) => frame({ error: { message: `failed for ${s}` } })),
);

interface Plan {
  door: Door;
  stream: boolean;
  n: number;
  texts: string[];
  cuts: number[][];
  order: number[];
  finishes: (string | null | undefined)[];
  extras: [number, string][];
  endReasons: (string | null | undefined)[];
  done: boolean;
  badIndex: boolean;
  /** The delta field each choice's text is sent in (chat; text completions always use `text`). */
  fields: ChatField[];
}

/** `tool`: the text is the string value of a tool call's JSON arguments, streamed in the same pieces. */
type ChatField = "content" | "reasoning_content" | "reasoning" | "refusal" | "tool";

const plan: fc.Arbitrary<Plan> = fc.record({
  door: fc.constantFrom<Door>("chat", "completion"),
  stream: fc.boolean(),
  n: fc.integer({ min: 1, max: 3 }),
}).chain(({ door, stream, n }) =>
  fc.record({
    door: fc.constant(door),
    stream: fc.constant(stream),
    n: fc.constant(n),
    texts: fc.array(fc.tuple(noise, fc.constantFrom(...SECRETS), fc.constantFrom(...DISGUISES.keys()), noise)
      .map(([a, s, d, b]) => `${a} ${DISGUISES[d]!(s)} ${b}`), { minLength: n, maxLength: n }),
    cuts: fc.array(fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 12 }), { minLength: n, maxLength: n }),
    order: fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 40 }),
    finishes: fc.array(finish, { minLength: 40, maxLength: 40 }),
    extras: fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), extra), { maxLength: 4 }),
    endReasons: fc.array(finish, { minLength: n, maxLength: n }),
    done: fc.boolean(),
    badIndex: fc.boolean().map((b) => b && Math.random() < 0.1),
    fields: fc.array(fc.constantFrom<ChatField>("content", "content", "reasoning_content", "reasoning", "refusal", "tool", "tool"), { minLength: n, maxLength: n }),
  })
);

/** The upstream's SSE for a plan. */
function transcript(p: Plan): string[] {
  const texts = p.texts.map((text, i) => (p.door === "chat" && p.fields[i] === "tool" ? JSON.stringify({ v: text }) : text));
  const pieces = texts.map((text, i) => {
    const cuts = [...new Set(p.cuts[i]!.map((c) => c % text.length))].filter((c) => c > 0).sort((a, b) => a - b);
    return [0, ...cuts].map((c, k, all) => text.slice(c, all[k + 1] ?? text.length));
  });
  const next = p.texts.map(() => 0);
  const out: string[] = [];
  p.texts.forEach((_, choice) => {
    if (p.door === "chat" && p.fields[choice] === "tool") {
      out.push(frame({ choices: [{ index: choice, delta: { tool_calls: [{ index: 0, id: `call_${choice}`, type: "function", function: { name: "f", arguments: "" } }] } }] }));
    }
  });
  const emit = (choice: number, text: string | undefined, reason: string | null | undefined) => {
    const field = p.fields[choice] ?? "content";
    const part = field === "tool" ? { tool_calls: [{ index: 0, function: { arguments: text } }] } : { [field]: text };
    const c: Record<string, unknown> = p.door === "chat" ? { index: choice, delta: text === undefined ? {} : part } : { index: choice, text: text ?? "" };
    if (reason !== undefined) c.finish_reason = reason;
    out.push(frame({ id: "x", object: "chunk", created: 0, model: "m", choices: [c], unknown_field: { nested: [1] } }));
  };
  let step = 0;
  const order = [...p.order, ...p.texts.flatMap((_, i) => Array(pieces[i]!.length).fill(i) as number[])];
  for (const choice of order) {
    for (const [at, frameText] of p.extras) if (at === step) out.push(frameText);
    if (next[choice]! >= pieces[choice]!.length) continue;
    emit(choice, pieces[choice]![next[choice]!++], p.finishes[step % p.finishes.length]);
    step++;
  }
  for (let i = 0; i < p.n; i++) emit(i, undefined, p.endReasons[i] ?? "stop");
  if (p.badIndex) emit(p.n + 3, "tail", null);
  if (p.done) out.push("data: [DONE]\n\n");
  return out;
}

describe("property: no upstream event sequence gets a planted secret past the guard", () => {
  let h: Harness;
  before(() => (h = startHarness({ firstByteTimeoutMs: 2000, idleTimeoutMs: 2000 })));
  after(() => h.close());

  test("any chunking, finish reasons, choices, errors, comments and unknown lines; every door, streamed and not", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(plan, async (p) => {
        const model = `property-${runs++}`;
        h.upstream.scripts.set(model, { sse: transcript(p) });
        const view = await ask(h.url, p.door, model, p.stream, p.n, p.door === "chat" ? { tools: [{ type: "function", function: { name: "f" } }] } : {});
        const seen = normalised(view.raw);
        for (const secret of SECRETS) assert.ok(!seen.includes(secret), `${secret} reached the client: ${view.raw.slice(0, 600)}`);
        h.upstream.scripts.delete(model);
      }),
      { numRuns: Number(process.env.RSK_PROPERTY_RUNS ?? 150) },
    );
  });
});
