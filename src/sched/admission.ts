/** Admission as the completion routes use it: wait for a slot, or fail with the HTTP error that says why. */
import { ApiError } from "../server/errors.ts";
import type { Scheduler, Ticket } from "./scheduler.ts";

/** Tenant used when the gateway has no notion of one (no auth configured): everyone shares one FIFO lane. */
export const DEFAULT_TENANT = "default";

/** nginx's "client closed request": the answer to a client that left while queued (nobody reads it). */
export const CLIENT_CLOSED = 499;

/**
 * Takes a queue place for `tenant` and resolves once a backend slot is held. Throws 429 (queue full, with
 * `Retry-After`), 504 (queue wait over), 499 (client left). Afterwards a client abort still frees the slot at
 * once, and a total-time deadline aborts `work` (the backend's signal) with a 504 the stream reports.
 */
export function admit(scheduler: Scheduler, tenant: string, client: AbortSignal, work: AbortController): Promise<Ticket> {
  if (client.aborted) return Promise.reject(clientClosed());
  const ticket = scheduler.arrive(tenant);
  if (!ticket) return Promise.reject(queueFull(scheduler));
  client.addEventListener("abort", () => scheduler.fire(ticket, "cancel"), { once: true });
  const onDeadline = (t: Ticket) => {
    if (t.state === "timed_out") work.abort(requestTimeout(scheduler));
  };
  if (ticket.state !== "queued") {
    ticket.onMove = onDeadline;
    return Promise.resolve(ticket);
  }
  return new Promise((resolve, reject) => {
    ticket.onMove = (t) => {
      ticket.onMove = onDeadline;
      if (t.state === "admitted") resolve(t);
      else reject(t.state === "timed_out" ? queueTimeout(scheduler) : clientClosed());
    };
  });
}

/** The error a request that ran past its total-time limit ends with (the stream's error event, or a 504). */
export function timedOut(ticket: Ticket, scheduler: Scheduler): ApiError | undefined {
  return ticket.state === "timed_out" ? requestTimeout(scheduler) : undefined;
}

/** True when `signal` was aborted because the client went away (not by a deadline, whose reason is an ApiError). */
export function clientGone(signal: AbortSignal): boolean {
  return signal.aborted && !(signal.reason instanceof ApiError);
}

function queueFull(scheduler: Scheduler): ApiError {
  const { queueSize } = scheduler.limits;
  return new ApiError(429, `the gateway is at capacity (${queueSize} requests already waiting); retry shortly`, {
    code: "queue_full",
    headers: { "retry-after": "1" },
  });
}

function queueTimeout(scheduler: Scheduler): ApiError {
  return new ApiError(504, `no backend slot became free within ${scheduler.limits.queueTimeoutMs} ms`, { code: "queue_timeout" });
}

function requestTimeout(scheduler: Scheduler): ApiError {
  return new ApiError(504, `the request ran past its ${scheduler.limits.requestTimeoutMs} ms limit`, { code: "request_timeout" });
}

function clientClosed(): ApiError {
  return new ApiError(CLIENT_CLOSED, "the client closed the request while it was queued", { code: "client_closed" });
}
