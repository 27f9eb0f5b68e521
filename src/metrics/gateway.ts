/** The gateway's metric families, one instance per app (so tests and embedded apps do not share counters). */
import { maskCacheBytes } from "../grammar/budget.ts";
import { kernelMetrics, type KernelMetrics } from "./kernels.ts";
import { Counter, exposition, Gauge, Histogram } from "./registry.ts";

const LATENCY_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const GATE_S = [1e-6, 2e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2];

/** Counters and histograms the routes, guard and policy store record into. */
export class GatewayMetrics {
  /** Completed HTTP requests by route and status. */
  readonly requests = new Counter("rsk_requests_total", "HTTP requests by route and status code.", ["route", "status"]);
  /** Time from request arrival to the first content byte sent. */
  readonly ttft = new Histogram("rsk_ttft_seconds", "Time to first released token, in seconds.", LATENCY_S, ["route"]);
  /** Time between consecutive content events sent to a client. */
  readonly interToken = new Histogram("rsk_inter_token_seconds", "Time between released chunks, in seconds.", LATENCY_S, ["route"]);
  /** Gate findings by policy, rule and action. */
  readonly decisions = new Counter("rsk_gate_decisions_total", "Gate findings by policy, rule and action.", ["policy", "rule", "action"]);
  /** Cost of one gate step (one chunk through every rule). */
  readonly gateLatency = new Histogram("rsk_gate_latency_seconds", "Time spent in the gates per chunk, in seconds.", GATE_S, ["stage"]);
  /** Streams that ended in a block, error or abort. */
  readonly streamEnds = new Counter("rsk_stream_ends_total", "Streams by how they ended.", ["reason"]);
  /** Upstream failures by kind. */
  readonly upstreamErrors = new Counter("rsk_upstream_errors_total", "Upstream failures by kind.", ["kind"]);
  /** SSE lines from upstreams that are neither events nor comments (skipped, per the SSE spec). */
  readonly upstreamUnknownLines = new Counter("rsk_upstream_unknown_sse_lines_total", "Upstream SSE lines that are not SSE fields (skipped).", []);
  /** Attempts the upstream router made again (same upstream or the next) before a first event. */
  readonly upstreamRetries = new Counter("rsk_upstream_retries_total", "Upstream attempts retried or fallen back from, by upstream.", ["upstream"]);
  /** Circuit breaker changes by upstream and new state. */
  readonly breakerChanges = new Counter("rsk_upstream_breaker_transitions_total", "Upstream circuit breaker state changes.", ["upstream", "state"]);
  /** Policy reloads by outcome. */
  readonly reloads = new Counter("rsk_policy_reloads_total", "Policy reload attempts by result.", ["result"]);
  /** Streams currently open. */
  activeStreams = 0;
  readonly #active = new Gauge("rsk_active_streams", "Completion streams currently open.", () => this.activeStreams);
  readonly #masks = new Gauge("rsk_grammar_mask_cache_bytes", "Token masks cached by every grammar of the process (budget: RSK_GRAMMAR_CACHE_MB).", maskCacheBytes);

  /** Sampler kernel calls (process-wide by default: the local backend meters its kernels into `kernelMetrics`). */
  readonly kernels: KernelMetrics = kernelMetrics;

  /** The `/metrics` body. */
  expose(): string {
    const kernels = this.kernels.expose();
    return exposition([
      this.requests, this.ttft, this.interToken, this.decisions, this.gateLatency,
      this.streamEnds, this.upstreamErrors, this.upstreamUnknownLines, this.upstreamRetries, this.breakerChanges, this.reloads, this.#active, this.#masks,
    ]) + (kernels ? `${kernels}
` : "");
  }
}
