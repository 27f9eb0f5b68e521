/**
 * Hostile upstream modes: one named script per misbehaviour found in attack rounds, for both completion doors.
 * Each mode is a Script for the scripted upstream plus what the client must (not) see.
 */
import assert from "node:assert/strict";
import type { Script } from "./scripted-upstream.ts";

/** Which completion door a mode is written for. */
export type Door = "chat" | "completion";

/** Secrets planted by the modes; none may reach a client whole. */
export const PLANTED = {
  email: "bob.smith@example.com",
  card: "4111 1111 1111 1111",
  email2: "alice.jones@example.org",
  card2: "5500 0000 0000 0004",
  ssn: "123-45-6789",
} as const;

/** The sentence the breach round used, split so every secret straddles a chunk boundary. */
export const LEAKY_PIECES = ["Write to bob.sm", "ith@exam", "ple.com and 4111 11", "11 1111 1", "111 please."];

/** Error text an upstream sends with PII in it. */
export const PII_ERROR = `db error for ${PLANTED.email2} card ${PLANTED.card2} ssn ${PLANTED.ssn}`;

/** One SSE event carrying a JSON payload. */
export const frame = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;

/** One chunk of one choice, in the door's shape; `finish` undefined leaves the field out. */
export function piece(door: Door, index: number, text: string | undefined, finish?: string | null): string {
  const choice: Record<string, unknown> = door === "chat" ? { index, delta: text === undefined ? {} : { content: text } } : { index, text: text ?? "" };
  if (finish !== undefined) choice.finish_reason = finish;
  return frame({ id: "x", object: door === "chat" ? "chat.completion.chunk" : "text_completion", created: 0, model: "m", choices: [choice] });
}

const DONE = "data: [DONE]\n\n";

/** What a mode expects at the client. */
export interface Expectation {
  /** Stream and JSON: an error with this code (else success). */
  error?: RegExp;
  /** Success only: the client text must equal this. */
  text?: string;
}

/** A hostile mode: the upstream's script for a door and the expected outcome. */
export interface HostileMode {
  /** What the upstream does. */
  script: (door: Door) => Script;
  /** What the client must see. */
  expect: Expectation;
}

const REDACTED = "Write to [EMAIL] and **** **** **** 1111 please.";

/** The modes, by name. */
export const HOSTILE_MODES: Record<string, HostileMode> = {
  "finish_reason \"\" on every chunk": {
    script: (door) => ({ sse: [...LEAKY_PIECES.map((p) => piece(door, 0, p, "")), piece(door, 0, undefined, "stop"), DONE] }),
    expect: { text: REDACTED },
  },
  "finish_reason stop on every chunk, then more text": {
    script: (door) => ({ sse: [...LEAKY_PIECES.map((p) => piece(door, 0, p, "stop")), DONE] }),
    expect: { error: /^upstream_malformed$/ },
  },
  "a finish chunk after every piece": {
    script: (door) => ({ sse: [...LEAKY_PIECES.flatMap((p) => [piece(door, 0, p, null), piece(door, 0, undefined, "stop")]), DONE] }),
    expect: { error: /^upstream_malformed$/ },
  },
  "finish_reason null and missing": {
    script: (door) => ({ sse: [...LEAKY_PIECES.map((p, i) => piece(door, 0, p, i % 2 ? null : undefined)), piece(door, 0, undefined, "length"), DONE] }),
    expect: { text: REDACTED },
  },
  "error object mid-stream carries PII": {
    script: (door) => ({ sse: [piece(door, 0, "Looking it up", null), frame({ error: { message: PII_ERROR, type: "server_error" } })] }),
    expect: { error: /^upstream_status$/ },
  },
  "error string mid-stream carries PII": {
    script: (door) => ({ sse: [piece(door, 0, "Looking", null), frame({ error: PII_ERROR })] }),
    expect: { error: /^upstream_status$/ },
  },
  "500 with PII in a JSON error body": {
    script: () => ({ status: 500, errorBody: JSON.stringify({ error: { message: PII_ERROR } }) }),
    expect: { error: /^upstream_status$/ },
  },
  "500 with PII in a plain body": {
    script: () => ({ status: 500, errorBody: PII_ERROR }),
    expect: { error: /^upstream_status$/ },
  },
  "400 with PII in its message": {
    script: () => ({ status: 400, errorBody: JSON.stringify({ error: { message: PII_ERROR } }) }),
    expect: { error: /^upstream_status$/ },
  },
  "429 with PII in its message": {
    script: () => ({ status: 429, errorBody: JSON.stringify({ message: PII_ERROR }), headers: { "retry-after": "2" } }),
    expect: { error: /^upstream_status$/ },
  },
  "non-SSE JSON answer with PII": {
    script: (door) => ({
      body: {
        contentType: "application/json",
        source: JSON.stringify({ choices: [door === "chat" ? { index: 0, message: { content: LEAKY_PIECES.join("") }, finish_reason: "stop" } : { index: 0, text: LEAKY_PIECES.join(""), finish_reason: "stop" }] }),
      },
    }),
    expect: { text: REDACTED },
  },
  "non-SSE body past the response bound": {
    script: () => ({ body: { contentType: "application/json", source: () => endless(`{"choices":[{"index":0,"text":"`) } }),
    expect: { error: /^upstream_too_large$/ },
  },
  "streamed text past the response bound": {
    script: (door) => ({ sse: Array.from({ length: 40 }, () => piece(door, 0, "x".repeat(64 * 1024), null)) }),
    expect: { error: /^upstream_too_large$/ },
  },
  "choice index beyond the request's n": {
    script: (door) => ({ sse: [piece(door, 0, "hi", null), piece(door, 5, "there", null), DONE] }),
    expect: { error: /^upstream_malformed$/ },
  },
  "100,000 distinct choice indexes": {
    script: (door) => ({ sse: Array.from({ length: 100_000 }, (_, i) => piece(door, i, "x", null)) }),
    expect: { error: /^upstream_malformed$/ },
  },
  "a non-integer choice index": {
    script: (door) => ({ sse: [piece(door, 0.5, "hi", null), DONE] }),
    expect: { error: /^upstream_malformed$/ },
  },
  "lines without data: and comments around the events": {
    script: (door) => ({
      sse: [": hello\n\n", "garbage line\n", ...LEAKY_PIECES.map((p) => `${piece(door, 0, p, null)}nonsense: 1\n\n`), piece(door, 0, undefined, "stop"), DONE],
    }),
    expect: { text: REDACTED },
  },
  "nothing but unknown lines": {
    script: () => ({ sse: Array.from({ length: 1100 }, (_, i) => `junk ${i}\n`) }),
    expect: { error: /^upstream_malformed$/ },
  },
  "empty deltas forever (events, no text)": {
    script: (door) => ({ body: { contentType: "text/event-stream", source: () => ticking(piece(door, 0, "", null), 40) } }),
    expect: { error: /^upstream_timeout$/ },
  },
  "comments forever (no events)": {
    script: () => ({ body: { contentType: "text/event-stream", source: () => ticking(": ping\n\n", 40) } }),
    expect: { error: /^upstream_timeout$/ },
  },
};

/** A body that never ends (until the reader cancels). */
function endless(prefix: string): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const block = enc.encode("y".repeat(64 * 1024));
  let first = true;
  return new ReadableStream({
    pull(ctl) {
      ctl.enqueue(first ? enc.encode(prefix) : block);
      first = false;
    },
  });
}

/** A body that repeats `text` every `ms` until the reader cancels. */
function ticking(text: string, ms: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    async pull(ctl) {
      await new Promise((r) => setTimeout(r, ms));
      ctl.enqueue(bytes);
    },
  });
}

/** Everything a client got for one request, read the way a client would. */
export interface ClientView {
  /** HTTP status. */
  status: number;
  /** The whole body as received (SSE text or JSON). */
  raw: string;
  /** Released text per choice. */
  texts: Map<number, string>;
  /** Released reasoning (`reasoning_content`) and refusal text per choice (chat). */
  side: Map<number, { reasoning?: string; refusal?: string }>;
  /** Finish reasons per choice, in the order they arrived. */
  finishes: Map<number, string[]>;
  /** The error's code and message (JSON error body or SSE error event). */
  error?: { code: string; message: string };
  /** Whether a stream ended with [DONE]. */
  done: boolean;
}

/** Sends one request through a door and reads the answer like a client. */
export async function ask(url: string, door: Door, model: string, stream: boolean, n = 1, extra: Record<string, unknown> = {}): Promise<ClientView> {
  const body = door === "chat"
    ? { model, stream, n, messages: [{ role: "user", content: "go" }], ...extra }
    : { model, stream, n, prompt: "go", ...extra };
  const res = await fetch(`${url}/${door === "chat" ? "chat/completions" : "completions"}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const raw = await res.text();
  const view: ClientView = { status: res.status, raw, texts: new Map(), side: new Map(), finishes: new Map(), done: false };
  const addSide = (index: number, part: { reasoning_content?: string | null; refusal?: string | null } | undefined) => {
    const side = view.side.get(index) ?? {};
    if (part?.reasoning_content) side.reasoning = (side.reasoning ?? "") + part.reasoning_content;
    if (part?.refusal) side.refusal = (side.refusal ?? "") + part.refusal;
    view.side.set(index, side);
  };
  const add = (index: number, text: string | null | undefined, finish: string | null | undefined) => {
    if (text) view.texts.set(index, (view.texts.get(index) ?? "") + text);
    if (finish) view.finishes.set(index, [...(view.finishes.get(index) ?? []), finish]);
  };
  if (!(res.headers.get("content-type") ?? "").includes("text/event-stream")) {
    const json = JSON.parse(raw);
    if (json.error) view.error = { code: json.error.code, message: json.error.message };
    for (const c of json.choices ?? []) {
      add(c.index, c.message?.content ?? c.text, c.finish_reason);
      addSide(c.index, c.message);
    }
    return view;
  }
  for (const block of raw.split("\n\n")) {
    const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
    if (!data) continue;
    if (data === "[DONE]") {
      view.done = true;
      continue;
    }
    const json = JSON.parse(data);
    if (block.includes("event: error")) view.error = { code: json.error.code, message: json.error.message };
    else {
      for (const c of json.choices ?? []) {
        add(c.index, c.delta?.content ?? c.text, c.finish_reason);
        addSide(c.index, c.delta);
      }
    }
  }
  return view;
}

/** Fails if any planted secret is in what the client received. */
export function assertNoSecret(view: ClientView, what: string): void {
  for (const [name, value] of Object.entries(PLANTED)) {
    assert.ok(!view.raw.includes(value), `${what}: ${name} leaked: ${view.raw.slice(0, 400)}`);
  }
}

/** An OpenAI stream of one tool call (after optional lead text) whose arguments arrive a character at a time, then usage. */
export function toolCallStream(call: { id: string; name: string; args: string }, usage: { prompt: number; completion: number }, lead?: string): string[] {
  const chunk = (delta: object, finish: string | null = null) =>
    frame({ id: "x", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] });
  return [
    ...(lead === undefined ? [] : [chunk({ role: "assistant", content: lead })]),
    chunk({ tool_calls: [{ index: 0, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }),
    ...[...call.args].map((c) => chunk({ tool_calls: [{ index: 0, function: { arguments: c } }] })),
    chunk({}, "tool_calls"),
    frame({ id: "x", object: "chat.completion.chunk", created: 0, model: "m", choices: [], usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion } }),
    "data: [DONE]\n\n",
  ];
}
