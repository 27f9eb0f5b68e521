/**
 * Tool calls on the local backend, as the model's chat template writes them: the syntax (read from the template),
 * the prompt that declares the tools and replays earlier calls and results, and the parser that turns generated
 * text into OpenAI-style tool-call events (a call's arguments stream as they are generated).
 */
import { ApiError } from "../../server/errors.ts";
import type { ToolCallMarkers } from "../../grammar/tool-call.ts";
import type { ChatMessage as WireMessage } from "../../server/wire.ts";
import type { BackendEvent } from "../types.ts";

/**
 * The `<tool_call>{"name": …, "arguments": …}</tool_call>` convention of ChatML models (Hermes, Qwen). llama.cpp
 * renders a template by recognising it (no Jinja), so the syntax is read the same way: a ChatML template uses it.
 */
export const CHATML_TOOL_CALLS: ToolCallMarkers = { opener: "<tool_call>", closer: "</tool_call>", separator: "\n" };

/** The tool-call syntax of a chat template, judged from a rendered probe; undefined when rsk knows none for it. */
export function toolMarkersOf(render: (messages: { role: string; content: string }[]) => string): ToolCallMarkers | undefined {
  const probe = render([{ role: "user", content: "x" }]);
  return probe.includes("<|im_start|>") ? CHATML_TOOL_CALLS : undefined;
}

/** One declared tool as the prompt lists it. */
export interface DeclaredTool {
  /** Function name. */
  readonly name: string;
  /** What it does. */
  readonly description?: string;
  /** Its parameters schema. */
  readonly parameters?: Record<string, unknown>;
}

/** A call written the way the template's model reads and writes it. */
export function writtenCall(markers: ToolCallMarkers, name: string, args: string): string {
  return `${markers.opener}\n{"name": ${JSON.stringify(name)}, "arguments": ${args}}\n${markers.closer}`;
}

/** The system text that declares `tools` and how to call them. */
function declaration(markers: ToolCallMarkers, tools: readonly DeclaredTool[]): string {
  const listed = tools.map((t) => JSON.stringify({ type: "function", function: t })).join("\n");
  return `You may call functions. Their signatures, one JSON object a line, are between <tools> and </tools>:\n<tools>\n${listed}\n</tools>\n` +
    `To call one, answer with a JSON object holding its name and arguments between ${markers.opener} and ${markers.closer}:\n` +
    writtenCall(markers, "<function name>", "<arguments object>");
}

/**
 * Plain role/content messages for the template: the tool declaration joins the first system message (or leads as
 * one), an assistant's earlier calls are written in the call syntax, tool results are wrapped for the `tool` role.
 */
export function toolConversation(
  messages: readonly WireMessage[],
  tools: readonly DeclaredTool[],
  markers: ToolCallMarkers,
  text: (m: WireMessage) => string,
): { role: string; content: string }[] {
  const out = messages.map((m) => {
    if (m.role === "tool") return { role: "tool", content: `<tool_response>\n${text(m)}\n</tool_response>` };
    if (m.role === "assistant" && m.tool_calls?.length) {
      const calls = m.tool_calls.map((c) => writtenCall(markers, c.function.name, c.function.arguments || "{}")).join(markers.separator);
      const lead = text(m);
      return { role: "assistant", content: lead ? `${lead}\n${calls}` : calls };
    }
    return { role: m.role === "developer" ? "system" : m.role, content: text(m) };
  });
  if (tools.length === 0) return out;
  const declared = declaration(markers, tools);
  if (out[0]?.role === "system") out[0] = { role: "system", content: `${out[0].content}\n\n${declared}` };
  else out.unshift({ role: "system", content: declared });
  return out;
}

/** Longest call head (`{"name": "…", "arguments": `) accepted; the grammar keeps it far shorter. */
const MAX_HEAD = 4096;
const HEAD = /^\s*\{\s*"name"\s*:\s*("(?:[^"\\]|\\.)*")\s*,\s*"arguments"\s*:\s*/;

const TEXT = 0, HEAD_STATE = 1, ARGS = 2, TAIL = 3;

/**
 * Generated text of one choice → text and tool events. Text that may be the start of the opener is held until
 * it is known not to be; a call's head is held until its name is complete, then its arguments are passed on as
 * they come (their end found by bracket depth outside strings). After a call only separators may follow (the
 * grammar allows nothing else), so later text outside calls is dropped.
 */
export class ToolCallParser {
  #state = TEXT;
  #held = "";
  #calls = 0;
  #depth = 0;
  #inString = false;
  #escape = false;

  constructor(
    /** The choice the events belong to. */
    private readonly choice: number,
    /** The template's call syntax. */
    private readonly markers: ToolCallMarkers,
    /** A fresh call id. */
    private readonly newId: () => string,
  ) {}

  /** Calls completed so far. */
  get calls(): number {
    return this.#calls;
  }

  /** Whether the text stopped inside a call (opener written, closer not). */
  get inCall(): boolean {
    return this.#state !== TEXT;
  }

  /** Events for the next piece of generated text. */
  push(text: string): BackendEvent[] {
    const out: BackendEvent[] = [];
    let rest = this.#held + text;
    this.#held = "";
    while (rest.length > 0) rest = this.#step(rest, out);
    return out;
  }

  /** The generation ended: held text that never became a call is text. */
  end(): BackendEvent[] {
    const held = this.#held;
    this.#held = "";
    return this.#state === TEXT && held && this.#calls === 0 ? [{ type: "text", choice: this.choice, text: held }] : [];
  }

  /** Consumes a prefix of `rest`; returns what is left (held text goes to `#held`). */
  #step(rest: string, out: BackendEvent[]): string {
    const { opener, closer } = this.markers;
    switch (this.#state) {
      case TEXT: {
        const at = rest.indexOf(opener);
        const cut = at >= 0 ? at : rest.length - heldPrefix(rest, opener);
        if (cut > 0 && this.#calls === 0) out.push({ type: "text", choice: this.choice, text: rest.slice(0, cut) });
        if (at < 0) {
          this.#held = rest.slice(cut);
          return "";
        }
        this.#state = HEAD_STATE;
        return rest.slice(at + opener.length);
      }
      case HEAD_STATE: {
        const head = HEAD.exec(rest);
        if (!head) {
          if (rest.length > MAX_HEAD) throw new ApiError(500, `the model wrote a tool call head longer than ${MAX_HEAD} characters`, { type: "server_error", code: "local_backend_error" });
          this.#held = rest;
          return "";
        }
        out.push({ type: "tool", choice: this.choice, call: this.#calls, id: this.newId(), name: JSON.parse(head[1]!) as string });
        this.#state = ARGS;
        this.#depth = 0;
        return rest.slice(head[0].length);
      }
      case ARGS: {
        let i = 0;
        for (; i < rest.length; i++) {
          const c = rest[i];
          if (this.#inString) {
            if (this.#escape) this.#escape = false;
            else if (c === "\\") this.#escape = true;
            else if (c === "\"") this.#inString = false;
          } else if (c === "\"") this.#inString = true;
          else if (c === "{" || c === "[") this.#depth++;
          else if ((c === "}" || c === "]") && --this.#depth === 0) {
            i++;
            this.#state = TAIL;
            break;
          }
        }
        out.push({ type: "tool", choice: this.choice, call: this.#calls, arguments: rest.slice(0, i) });
        if (this.#state === TAIL) this.#calls++;
        return rest.slice(i);
      }
      default: {
        const at = rest.indexOf(closer);
        if (at < 0) {
          this.#held = rest.slice(rest.length - heldPrefix(rest, closer));
          return "";
        }
        this.#state = TEXT;
        return rest.slice(at + closer.length);
      }
    }
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `marker`. */
function heldPrefix(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) if (text.endsWith(marker.slice(0, n))) return n;
  return 0;
}
