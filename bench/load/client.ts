/** Streaming load client (fetch over loopback) and the statistics the harness reports. */

/** One streamed request as the client saw it. */
export interface StreamResult {
  /** HTTP status (0 when the connection failed). */
  status: number;
  /** Milliseconds from sending to the first content event. */
  ttftMs: number | undefined;
  /** Milliseconds from sending to the end of the body. */
  totalMs: number;
  /** Content events received. */
  events: number;
  /** Gaps between consecutive content reads, in ms. */
  gapsMs: number[];
  /** Why it did not complete ([DONE] missing, HTTP error, transport error); undefined when it did. */
  error: string | undefined;
  /** True when the client aborted it on purpose. */
  aborted: boolean;
}

/** Where and how to send one request. */
export interface Target {
  /** Gateway base URL including `/v1`. */
  url: string;
  /** Extra headers (Portkey's provider and custom-host headers). */
  headers: Record<string, string>;
}

const decoder = new TextDecoder();

/** Longest a single request may take before the client gives up on it (keeps every scenario bounded). */
export const REQUEST_LIMIT_MS = 60_000;

/** Sends one streamed chat completion and reads it to the end (or until `abortAfterEvents` content events). */
export async function streamOnce(target: Target, model: string, abortAfterEvents?: number): Promise<StreamResult> {
  const t0 = performance.now();
  const ctl = new AbortController();
  const result: StreamResult = { status: 0, ttftMs: undefined, totalMs: 0, events: 0, gapsMs: [], error: undefined, aborted: false };
  const limit = setTimeout(() => ctl.abort(new Error(`client gave up after ${REQUEST_LIMIT_MS} ms`)), REQUEST_LIMIT_MS);
  try {
    const res = await fetch(`${target.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer load", ...target.headers },
      body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "load test" }] }),
      signal: ctl.signal,
    });
    result.status = res.status;
    if (!res.ok || !res.body) {
      result.error = `HTTP ${res.status}`;
      await res.body?.cancel();
      return result;
    }
    const reader = res.body.getReader();
    let last = 0;
    let done = false;
    let tail = "";
    for (;;) {
      const read = await reader.read();
      if (read.done) break;
      const now = performance.now();
      const text = tail + decoder.decode(read.value, { stream: true });
      const cut = text.lastIndexOf("\n\n");
      tail = cut < 0 ? text : text.slice(cut + 2);
      const complete = cut < 0 ? "" : text.slice(0, cut);
      const content = (complete.match(/"content":"/g) ?? []).length;
      if (complete.includes("data: [DONE]")) done = true;
      if (complete.includes("event: error")) result.error = "error event";
      if (content > 0) {
        if (result.ttftMs === undefined) result.ttftMs = now - t0;
        else result.gapsMs.push(now - last);
        last = now;
        result.events += content;
      }
      if (abortAfterEvents !== undefined && result.events >= abortAfterEvents) {
        result.aborted = true;
        ctl.abort();
        await reader.cancel().catch(() => {});
        break;
      }
    }
    if (!done && !result.aborted && !result.error) result.error = "no [DONE]";
  } catch (err) {
    if (!result.aborted) result.error = err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(limit);
  }
  result.totalMs = performance.now() - t0;
  return result;
}

/** The q-quantile (0..1) of `values` by linear interpolation; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (at - lo);
}

/** Mean and standard deviation. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1);
  return { mean, std: Math.sqrt(variance) };
}

/** Bootstrap 95% CI of the mean of `samples` (seeded, so reruns on the same data agree). */
export function bootstrapMeanCi(samples: readonly number[], rounds = 2000): [number, number] {
  if (samples.length === 0) return [Number.NaN, Number.NaN];
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const means: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let sum = 0;
    for (let i = 0; i < samples.length; i++) sum += samples[Math.floor(random() * samples.length)]!;
    means.push(sum / samples.length);
  }
  return [quantile(means, 0.025), quantile(means, 0.975)];
}

/** Percentiles, jitter and errors of a set of results. */
export function summarize(results: readonly StreamResult[]) {
  const ttft = results.flatMap((r) => (r.ttftMs === undefined ? [] : [r.ttftMs]));
  const gaps = results.flatMap((r) => r.gapsMs);
  const { std } = meanStd(gaps);
  const errors = results.filter((r) => r.error !== undefined);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    requests: results.length,
    errors: errors.length,
    errorKinds: [...new Set(errors.map((e) => e.error))].slice(0, 5),
    ttftMs: { p50: round(quantile(ttft, 0.5)), p95: round(quantile(ttft, 0.95)), p99: round(quantile(ttft, 0.99)), p999: round(quantile(ttft, 0.999)) },
    interTokenMs: { median: round(quantile(gaps, 0.5)), std: round(std) },
    totalMs: { p50: round(quantile(results.map((r) => r.totalMs), 0.5)), p99: round(quantile(results.map((r) => r.totalMs), 0.99)) },
  };
}
