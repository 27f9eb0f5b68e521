/**
 * The request lifecycle: ONE transition table, read by the scheduler at run time and turned into the Promela
 * model spin checks (`promela.ts`), so the code and the proof cannot drift apart.
 */

/** Every lifecycle state, in a fixed order (status output, metrics and the Promela encoding use it). */
export const STATES = [
  "new", "queued", "admitted", "prefilling", "streaming",
  "completed", "blocked", "cancelled", "failed", "timed_out",
] as const;

/** A lifecycle state. */
export type State = (typeof STATES)[number];

/** What a state holds: a place in the admission queue, a backend slot, or nothing. */
export type Holding = "queue" | "slot" | "none";

/**
 * One allowed move: the next state and its effect on the two bounded resources. The effects are written out
 * per row (not derived from `HOLDS`) on purpose: the scheduler applies them as written, and spin checks them
 * against `HOLDS`, so a row that forgets to free a slot is a bug the model finds.
 */
export interface Move {
  /** State after the move. */
  readonly to: State;
  /** Change to the number of queued requests (+1 enter, -1 leave). */
  readonly queue: -1 | 0 | 1;
  /** Change to the number of backend slots in use (+1 take, -1 free). */
  readonly slot: -1 | 0 | 1;
}

const to = (state: State, queue: Move["queue"] = 0, slot: Move["slot"] = 0): Move => ({ to: state, queue, slot });

/**
 * The transition table. `new` is a request not yet counted (a full queue refuses its `arrive` with 429);
 * `token` is the only self-loop and it only ever increments the stream's token index.
 */
export const LIFECYCLE = {
  new: { arrive: to("queued", 1, 0) },
  queued: { admit: to("admitted", -1, 1), cancel: to("cancelled", -1, 0), timeout: to("timed_out", -1, 0) },
  admitted: { start: to("prefilling"), cancel: to("cancelled", 0, -1), fail: to("failed", 0, -1), timeout: to("timed_out", 0, -1) },
  prefilling: {
    token: to("streaming"), complete: to("completed", 0, -1), block: to("blocked", 0, -1),
    cancel: to("cancelled", 0, -1), fail: to("failed", 0, -1), timeout: to("timed_out", 0, -1),
  },
  streaming: {
    token: to("streaming"), complete: to("completed", 0, -1), block: to("blocked", 0, -1),
    cancel: to("cancelled", 0, -1), fail: to("failed", 0, -1), timeout: to("timed_out", 0, -1),
  },
  completed: {},
  blocked: {},
  cancelled: {},
  failed: {},
  timed_out: {},
} as const satisfies LifecycleTable;

/** The shape every transition table has (the shipped one, or a test's modified copy fed to the model). */
export type LifecycleTable = { readonly [S in State]: { readonly [event: string]: Move } };

/** What each state holds, the invariant spin checks the table's effects against. */
export const HOLDS: { readonly [S in State]: Holding } = {
  new: "none",
  queued: "queue",
  admitted: "slot",
  prefilling: "slot",
  streaming: "slot",
  completed: "none",
  blocked: "none",
  cancelled: "none",
  failed: "none",
  timed_out: "none",
};

/** An event some state of the shipped table accepts. */
export type LifecycleEvent = { [S in State]: keyof (typeof LIFECYCLE)[S] }[State];

/** A move the table does not allow, as data (the scheduler turns it into a LifecycleError). */
export interface Refusal {
  /** The state the request was in. */
  readonly from: State;
  /** The event that has no row there. */
  readonly event: string;
}

/** States of a table with no way out: the request is over and must hold nothing. */
export function terminalStates(table: LifecycleTable): ReadonlySet<State> {
  return new Set(STATES.filter((s) => Object.keys(table[s]).length === 0));
}

/** The shipped table's terminal states, computed once (the scheduler checks them on every event). */
export const TERMINAL = terminalStates(LIFECYCLE);

/** The one transition function: the row for (state, event), or a Refusal when the table has none. */
export function transition(state: State, event: string, table: LifecycleTable = LIFECYCLE): Move | Refusal {
  const row = Object.hasOwn(table[state], event) ? table[state][event] : undefined;
  return row ?? { from: state, event };
}
