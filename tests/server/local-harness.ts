/** Starts a real gateway on port 0 over the local backend (fixture GGUF, real llama.cpp, rsk kernels). */
import OpenAI from "openai";
import { serve } from "../../ffi/serve.ts";
import { selectKernels } from "../../ffi/mod.ts";
import { LocalBackend } from "../../src/backends/local/backend.ts";
import { ensureFixtureModel, LlamaEngine } from "../../src/backends/local/mod.ts";
import { GatewayMetrics } from "../../src/metrics/gateway.ts";
import { PolicyStore } from "../../src/policy/store.ts";
import { createGateway } from "../../src/server/app.ts";
import { DEFAULT_POLICY } from "../../src/policy/store.ts";
import type { FixtureVariant } from "../fixture/model.ts";

/** A running local gateway. */
export interface LocalHarness {
  /** Gateway base URL with `/v1`. */
  url: string;
  /** SDK client pointed at it. */
  client: OpenAI;
  /** The backend (engine counters for slot checks). */
  backend: LocalBackend;
  /** Stops the server and frees the model. */
  close(): Promise<void>;
}

/** Options for one local harness. */
export interface LocalHarnessOptions {
  /** Policy file (default: the shipped default). */
  policy?: string;
  /** KV cells per sequence (default 256). */
  nCtxPerSequence?: number;
  /** Largest `n` accepted (default 8). */
  maxChoices?: number;
  /** Fixture template variant (default: the ChatML fixture). */
  variant?: FixtureVariant;
}

/** Opens the fixture model (one decode thread: robust on a loaded 2-core machine) and serves it. */
export async function startLocalHarness(options: LocalHarnessOptions = {}): Promise<LocalHarness> {
  const modelPath = await ensureFixtureModel(options.variant);
  const engine = await LlamaEngine.open({ modelPath, nSeqMax: 16, nCtxPerSequence: options.nCtxPerSequence ?? 256, nThreads: 1 });
  const backend = new LocalBackend(engine, await selectKernels(), modelPath);
  const app = createGateway({
    backend,
    policies: new PolicyStore(options.policy ?? DEFAULT_POLICY),
    metrics: new GatewayMetrics(),
    maxBodyBytes: 1 << 20,
    limits: { maxTokens: 4096, maxChoices: options.maxChoices ?? 8 },
  });
  const server = serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  const url = `http://127.0.0.1:${server.port}/v1`;
  return {
    url,
    client: new OpenAI({ baseURL: url, apiKey: "k", maxRetries: 0 }),
    backend,
    close: async () => {
      await server.close();
      engine.close();
    },
  };
}

/**
 * A streamed answer holding one tool call (every delta is call 0), read from the openai SDK's chunks: the call's
 * head (id and name, from its first delta), its arguments, how many deltas brought them, and the finish reason.
 */
export async function oneStreamedCall(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<{ head?: { id?: string; name?: string }; args: string; pieces: number; finish: string | null }> {
  let args = "", pieces = 0, finish: string | null = null, head: { id?: string; name?: string } | undefined;
  for await (const chunk of stream) {
    for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
      head ??= { id: d.id, name: d.function?.name };
      if (d.index !== 0) throw new Error(`a delta of call ${d.index} in an answer of one call`);
      args += d.function?.arguments ?? "";
      pieces++;
    }
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return { head, args, pieces, finish };
}
