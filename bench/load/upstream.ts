/**
 * The load harness's upstream: a fast OpenAI-compatible SSE server in its own process. The request's `model`
 * says what to stream, `t<tokens>-d<ms>` (e.g. `t32-d5`: 32 pieces, 5 ms apart; d0 sends them back to back).
 * `bun bench/load/upstream.ts <port>`; prints `listening <port>` when ready.
 */
import { serve } from "../../ffi/serve.ts";

const enc = new TextEncoder();
const WORD = "tok ";

function shape(model: string): { tokens: number; delayMs: number } {
  const m = /^t(\d+)-d(\d+)$/.exec(model);
  return m ? { tokens: Number(m[1]), delayMs: Number(m[2]) } : { tokens: 16, delayMs: 0 };
}

const chunk = (payload: object) => enc.encode(`data: ${JSON.stringify({ id: "load", object: "chat.completion.chunk", created: 0, model: "load", ...payload })}\n\n`);

const server = serve({
  port: Number(process.argv[2] ?? 0),
  hostname: "127.0.0.1",
  fetch: async (req) => {
    const path = new URL(req.url).pathname;
    if (path.endsWith("/models")) return Response.json({ object: "list", data: [{ id: "load", object: "model", created: 0, owned_by: "bench" }] });
    const body = (await req.json()) as { model?: string };
    const { tokens, delayMs } = shape(String(body.model));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        if (sent < tokens) {
          if (delayMs > 0 && sent > 0) await new Promise((r) => setTimeout(r, delayMs));
          sent++;
          ctl.enqueue(chunk({ choices: [{ index: 0, delta: sent === 1 ? { role: "assistant", content: WORD } : { content: WORD }, finish_reason: null }] }));
          return;
        }
        ctl.enqueue(chunk({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }));
        ctl.enqueue(chunk({ choices: [], usage: { prompt_tokens: 4, completion_tokens: tokens, total_tokens: 4 + tokens } }));
        ctl.enqueue(enc.encode("data: [DONE]\n\n"));
        ctl.close();
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
  },
});
console.log(`listening ${server.port}`);
