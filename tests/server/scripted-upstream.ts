/**
 * Test fixture for the upstream boundary: a real HTTP server on port 0 that replays scripted OpenAI SSE
 * transcripts. The `model` field of a request selects its script; every request received is recorded.
 */
import { serve } from "../../ffi/serve.ts";

/** How the fixture answers one request. */
export interface Script {
  /** Generated text, streamed in pieces. */
  text?: string;
  /** Piece sizes in characters (cycled); "words" splits after every space. Default: whole text at once. */
  chunking?: number | "words";
  /** Delay before the response headers, in ms. */
  headerDelayMs?: number;
  /** Delay between pieces, in ms. */
  pieceDelayMs?: number;
  /** Answer with this status and an OpenAI error body instead of streaming. */
  status?: number;
  /** With `status`: only the next `failFirst` requests get it (the count goes down), later ones stream. */
  failFirst?: number;
  /** Extra response headers (e.g. retry-after). */
  headers?: Record<string, string>;
  /** After this many pieces, misbehave as `fault` says. */
  faultAfter?: number;
  /** reset: drop the connection; malformed: send a non-JSON event; stall: stop sending; eof: end without [DONE]. */
  fault?: "reset" | "malformed" | "stall" | "eof";
  /** Finish reason in the last chunk. */
  finish?: string;
  /** Never finish: repeat the pieces forever (with `pieceDelayMs` between them). */
  endless?: boolean;
  /** Hostile upstreams: SSE written verbatim, one write per element (`text` and `fault` are then ignored). */
  sse?: string[];
  /** Hostile upstreams: a 200 answer of this content type and body (a string, or a stream made per request). */
  body?: { contentType: string; source: string | (() => ReadableStream<Uint8Array>) };
  /** With `status`: the error answer's raw body instead of rsk's scripted OpenAI error. */
  errorBody?: string;
  /** The script for a request whose history already holds a tool result (an agent's second turn). */
  afterTool?: Script;
}

/** A request as the fixture saw it. */
export interface Received {
  /** Request path. */
  path: string;
  /** Parsed JSON body. */
  body: Record<string, unknown>;
  /** Authorization header. */
  authorization: string | null;
  /** x-request-id header. */
  requestId: string | null;
  /** W3C traceparent header. */
  traceparent: string | null;
  /** Resolves when the client (the gateway) closed or aborted this request. */
  closed: Promise<void>;
  /** Text pieces enqueued so far (stops growing when the reader, the gateway, stops pulling). */
  sent: number;
}

/** The running fixture. */
export interface ScriptedUpstream {
  /** Base URL with `/v1`. */
  url: string;
  /** Scripts by model name. */
  scripts: Map<string, Script>;
  /** Every request so far. */
  received: Received[];
  /** Stops the server. */
  close(): Promise<void>;
}

const enc = new TextEncoder();

/** Splits text into the pieces a script asks for. */
export function pieces(text: string, chunking: Script["chunking"]): string[] {
  if (chunking === undefined) return [text];
  if (chunking === "words") return text.split(/(?<= )/);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += chunking) out.push(text.slice(i, i + chunking));
  return out;
}

/** Starts the fixture. */
export function startScriptedUpstream(): ScriptedUpstream {
  const scripts = new Map<string, Script>();
  const received: Received[] = [];
  const server = serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/v1/models") return Response.json({ object: "list", data: [{ id: "scripted", object: "model", created: 0, owned_by: "fixture" }] });
      const body = (await req.json()) as Record<string, unknown>;
      if (path === "/v1/embeddings") {
        received.push({ path, body, authorization: req.headers.get("authorization"), requestId: req.headers.get("x-request-id"), traceparent: req.headers.get("traceparent"), closed: Promise.resolve(), sent: 0 });
        const input = [body.input].flat() as string[];
        return Response.json({ object: "list", model: body.model, data: input.map((t, index) => ({ object: "embedding", index, embedding: [t.length, 0.5] })), usage: { prompt_tokens: 1, total_tokens: 1 } });
      }
      let onClose!: () => void;
      const closed = new Promise<void>((r) => (onClose = r));
      req.signal.addEventListener("abort", () => onClose(), { once: true });
      const entry: Received = { path, body, authorization: req.headers.get("authorization"), requestId: req.headers.get("x-request-id"), traceparent: req.headers.get("traceparent"), closed, sent: 0 };
      received.push(entry);
      let script = scripts.get(String(body.model)) ?? { text: "" };
      const afterTool = Array.isArray(body.messages) && body.messages.some((m: { role?: unknown }) => m?.role === "tool");
      if (afterTool && script.afterTool) script = script.afterTool;
      if (script.headerDelayMs) await sleep(script.headerDelayMs);
      const failing = script.failFirst === undefined ? script.status : script.failFirst > 0 ? (script.failFirst--, script.status) : undefined;
      if (failing) {
        onClose();
        if (script.errorBody !== undefined) return new Response(script.errorBody, { status: failing, headers: script.headers });
        return Response.json({ error: { message: `scripted ${failing}`, type: "x", param: null, code: null } }, { status: failing, headers: script.headers });
      }
      if (script.body) {
        const { contentType, source } = script.body;
        return new Response(typeof source === "string" ? source : source(), { headers: { "content-type": contentType } });
      }
      if (script.sse) return new Response(verbatim(script.sse, onClose), { headers: { "content-type": "text/event-stream" } });
      const chat = path.endsWith("/chat/completions");
      return new Response(sse(script, chat, onClose, () => entry.sent++), { headers: { "content-type": "text/event-stream" } });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    scripts,
    received,
    close: () => server.close(),
  };
}

function verbatim(writes: string[], onClose: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(ctl) {
      if (i < writes.length) return ctl.enqueue(enc.encode(writes[i++]!));
      ctl.close();
      onClose();
    },
    cancel: () => onClose(),
  });
}

function sse(script: Script, chat: boolean, onClose: () => void, onPiece: () => void): ReadableStream<Uint8Array> {
  const parts = pieces(script.text ?? "", script.chunking);
  let i = 0;
  const chunk = (choice: object) => `data: ${JSON.stringify({ id: "x", object: "chunk", created: 0, model: "m", choices: [choice] })}\n\n`;
  return new ReadableStream({
    async pull(ctl) {
      if (script.faultAfter !== undefined && i === script.faultAfter) {
        if (i > 0) await sleep(30); // let the pieces already enqueued reach the wire first
        if (script.fault === "reset") return ctl.error(new Error("scripted reset"));
        if (script.fault === "malformed") {
          i++;
          ctl.enqueue(enc.encode("data: {not json\n\n"));
          return;
        }
        if (script.fault === "stall") return new Promise<void>(() => {});
        if (script.fault === "eof") return ctl.close();
      }
      if (i < parts.length || (script.endless && parts.length > 0)) {
        if (script.pieceDelayMs && i > 0) await sleep(script.pieceDelayMs);
        const text = parts[i++ % parts.length]!;
        ctl.enqueue(enc.encode(chunk(chat ? { index: 0, delta: { content: text }, finish_reason: null } : { index: 0, text, finish_reason: null })));
        onPiece();
        return;
      }
      const end = chat ? { index: 0, delta: {}, finish_reason: script.finish ?? "stop" } : { index: 0, text: "", finish_reason: script.finish ?? "stop" };
      ctl.enqueue(enc.encode(chunk(end)));
      ctl.enqueue(enc.encode(`data: ${JSON.stringify({ id: "x", object: "chunk", created: 0, model: "m", choices: [], usage: { prompt_tokens: 3, completion_tokens: parts.length, total_tokens: 3 + parts.length } })}\n\n`));
      ctl.enqueue(enc.encode("data: [DONE]\n\n"));
      ctl.close();
      onClose();
    },
    cancel() {
      onClose();
    },
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
