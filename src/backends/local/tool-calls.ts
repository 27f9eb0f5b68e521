/**
 * Tool calls on the local backend, as the model's chat template writes them: the prompt that declares the tools
 * and replays earlier calls and results in the template's syntax (see tool-syntax.ts), and the parser that turns
 * generated text into OpenAI-style tool-call events (a call's arguments stream as they are generated).
 */
import { ApiError } from "../../server/errors.ts";
import type { ChatMessage as WireMessage } from "../../server/wire.ts";
import type { BackendEvent } from "../types.ts";
import type { ToolCallSyntax } from "./tool-syntax.ts";

/** One declared tool as the prompt lists it. */
export interface DeclaredTool {
  /** Function name. */
  readonly name: string;
  /** What it does. */
  readonly description?: string;
  /** Its parameters schema. */
  readonly parameters?: Record<string, unknown>;
}

/** Calls written the way the template's model reads and writes them (one block per call where the family has no parallel calls). */
export function writtenCalls(syntax: ToolCallSyntax, calls: readonly { name: string; args: string }[]): string {
  const objects = calls.map((c) => `{"name": ${JSON.stringify(c.name)}, "${syntax.argumentsKey}": ${c.args}}`);
  if (syntax.parallel) return syntax.opener + objects.join(syntax.separator) + syntax.closer;
  return objects.map((o) => syntax.opener + o + syntax.closer).join("\n");
}

/** The system text that declares `tools` and how to call them. */
function declaration(syntax: ToolCallSyntax, tools: readonly DeclaredTool[]): string {
  const listed = tools.map((t) => JSON.stringify({ type: "function", function: t })).join("\n");
  return `You may call functions. Their signatures, one JSON object a line, are between <tools> and </tools>:\n<tools>\n${listed}\n</tools>\n` +
    `To call one, answer with its name and ${syntax.argumentsKey} as JSON, written like this:\n` +
    writtenCalls(syntax, [{ name: "<function name>", args: `<${syntax.argumentsKey} object>` }]);
}

/**
 * Plain role/content messages for the template: the tool declaration joins the first system message (or leads as
 * one), an assistant's earlier calls are written in the call syntax, tool results in the family's result form.
 */
export function toolConversation(
  messages: readonly WireMessage[],
  tools: readonly DeclaredTool[],
  syntax: ToolCallSyntax,
  text: (m: WireMessage) => string,
): { role: string; content: string }[] {
  const out = messages.map((m) => {
    if (m.role === "tool") return { role: syntax.resultRole, content: syntax.resultText(text(m)) };
    if (m.role === "assistant" && m.tool_calls?.length) {
      const calls = writtenCalls(syntax, m.tool_calls.map((c) => ({ name: c.function.name, args: c.function.arguments || "{}" })));
      const lead = text(m);
      return { role: "assistant", content: lead ? `${lead}\n${calls}` : calls };
    }
    return { role: m.role === "developer" ? "system" : m.role, content: text(m) };
  });
  if (tools.length === 0) return out;
  const declared = declaration(syntax, tools);
  if (out[0]?.role === "system") out[0] = { role: "system", content: `${out[0].content}\n\n${declared}` };
  else out.unshift({ role: "system", content: declared });
  return out;
}

/** Longest text held while a call's head, opener or closer is incomplete; the grammar keeps it far shorter. */
const MAX_HELD = 4096;

const TEXT = 0, OPENER = 1, HEAD = 2, ARGS = 3, AFTER = 4, DONE = 5;

/** The model broke the call syntax the grammar holds it to: a bug, not a request error. */
function syntaxBroken(what: string): ApiError {
  return new ApiError(500, `the model's tool call left the template's syntax (${what})`, { type: "server_error", code: "local_backend_error" });
}

/**
 * Generated text of one choice → text and tool events. Lazy (`auto`): text that may be the start of the trigger is
 * held until it is known not to be. From the trigger on (from the first byte when not lazy) the text is calls: the
 * opener, then per call a head held until its name is complete, its arguments passed on as they come (their end
 * found by bracket depth outside strings), then a separator (another call) or the closer. Nothing may follow the
 * closer (the grammar allows only the end). A syntax's lead (`<|python_tag|>`) begins the calls like the trigger
 * but is not part of them.
 */
export class ToolCallParser {
  #state: number;
  #held = "";
  #calls = 0;
  #depth = 0;
  #inString = false;
  #escape = false;
  /** True while the syntax's lead may still come (before the calls' first byte). */
  #leadOpen: boolean;
  readonly #head: RegExp;
  readonly #separator: string;
  readonly #closer: string;

  constructor(
    /** The choice the events belong to. */
    private readonly choice: number,
    /** The template's call syntax. */
    private readonly syntax: ToolCallSyntax,
    /** A fresh call id. */
    private readonly newId: () => string,
    /** `auto`: text until the trigger; otherwise the calls begin at the first byte (a Llama 3 call may open `{ "name"`). */
    lazy: boolean,
  ) {
    this.#state = lazy ? TEXT : OPENER;
    this.#leadOpen = syntax.lead !== undefined;
    this.#head = new RegExp(`^\\s*\\{\\s*"name"\\s*:\\s*("(?:[^"\\\\]|\\\\.)*")\\s*,\\s*"${syntax.argumentsKey}"\\s*:\\s*`);
    // The object grammar allows whitespace after a call, so the separator and closer are matched without their own.
    this.#separator = syntax.parallel ? syntax.separator.trimStart() : "";
    this.#closer = syntax.closer.trimStart();
  }

  /** Calls whose arguments are complete (so also the index of a call cut short). */
  get calls(): number {
    return this.#calls;
  }

  /** Whether the text stopped inside the calls (trigger written, closer not). */
  get inCall(): boolean {
    if (this.#state === AFTER) return !this.#closed(this.#held);
    return this.#state !== TEXT && this.#state !== DONE;
  }

  /** Events for the next piece of generated text. */
  push(text: string): BackendEvent[] {
    const out: BackendEvent[] = [];
    let rest = this.#held + text;
    this.#held = "";
    while (rest.length > 0) rest = this.#step(rest, out);
    if (this.#held.length > MAX_HELD) throw syntaxBroken(`more than ${MAX_HELD} characters without completing a call's head or end`);
    return out;
  }

  /** The generation ended: held text that never became a call is text. */
  end(): BackendEvent[] {
    const held = this.#held;
    if (this.#state !== TEXT || !held) return [];
    this.#held = "";
    return [{ type: "text", choice: this.choice, text: held }];
  }

  /** Whether `after` (the text after a call's arguments) holds the call object's end and the closer. */
  #closed(after: string): boolean {
    const end = /^\s*\}/.exec(after);
    return end !== null && after.slice(end[0].length).trimStart().startsWith(this.#closer);
  }

  /** Consumes a prefix of `rest`; returns what is left (held text goes to `#held`). */
  #step(rest: string, out: BackendEvent[]): string {
    const { trigger, opener } = this.syntax;
    switch (this.#state) {
      case TEXT: {
        const lead = this.syntax.lead;
        const atTrigger = rest.indexOf(trigger), atLead = lead === undefined ? -1 : rest.indexOf(lead);
        const at = atLead >= 0 && (atTrigger < 0 || atLead < atTrigger) ? atLead : atTrigger;
        const cut = at >= 0 ? at : rest.length - Math.max(heldPrefix(rest, trigger), lead === undefined ? 0 : heldPrefix(rest, lead));
        if (cut > 0) out.push({ type: "text", choice: this.choice, text: rest.slice(0, cut) });
        if (at < 0) {
          this.#held = rest.slice(cut);
          return "";
        }
        this.#state = OPENER;
        return rest.slice(at);
      }
      case OPENER: {
        const lead = this.#leadOpen ? this.syntax.lead : undefined;
        if (lead !== undefined && rest.startsWith(lead)) {
          this.#leadOpen = false;
          return rest.slice(lead.length);
        }
        if (lead !== undefined && lead.startsWith(rest)) {
          this.#held = rest;
          return "";
        }
        this.#leadOpen = false;
        if (rest.length < opener.length) {
          if (!opener.startsWith(rest)) throw syntaxBroken(`expected ${JSON.stringify(opener)}`);
          this.#held = rest;
          return "";
        }
        if (!rest.startsWith(opener)) throw syntaxBroken(`expected ${JSON.stringify(opener)}`);
        this.#state = HEAD;
        return rest.slice(opener.length);
      }
      case HEAD: {
        const head = this.#head.exec(rest);
        if (!head) {
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
            this.#state = AFTER;
            break;
          }
        }
        out.push({ type: "tool", choice: this.choice, call: this.#calls, arguments: rest.slice(0, i) });
        if (this.#state === AFTER) this.#calls++;
        return rest.slice(i);
      }
      case AFTER: {
        const end = /^\s*\}/.exec(rest);
        if (!end) {
          if (rest.trim() !== "") throw syntaxBroken("expected the end of the call object");
          this.#held = rest;
          return "";
        }
        const tail = rest.slice(end[0].length).trimStart(), separator = this.#separator, closer = this.#closer;
        if (separator && tail.startsWith(separator)) {
          this.#state = HEAD;
          return tail.slice(separator.length);
        }
        const maySeparate = separator !== "" && separator.startsWith(tail);
        if (tail.startsWith(closer) && !maySeparate) {
          this.#state = DONE;
          return "";
        }
        if (!maySeparate && !closer.startsWith(tail)) throw syntaxBroken(`expected ${JSON.stringify(closer)} or ${JSON.stringify(separator)}`);
        this.#held = rest;
        return "";
      }
      default:
        return "";
    }
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `marker`. */
function heldPrefix(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) if (text.endsWith(marker.slice(0, n))) return n;
  return 0;
}
