/**
 * rsk's log lines: request records (stdout) and its own notes (stderr), filtered by level (RSK_LOG_LEVEL) and written
 * as JSON (`{"ts","level","msg",...fields}`) or one human line (RSK_LOG_FORMAT=pretty). Runtime-neutral: the host
 * gives the writers. Fields come from request records and error causes, never from matched text or keys.
 */
import type { RequestRecord } from "./request-log.ts";

/** How serious a line is, least first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** How serious a line is. */
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Line formats. */
export const LOG_FORMATS = ["json", "pretty"] as const;
/** A line format. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * A note from rsk: its text (with its cause, e.g. `rsk: audit batch failed: Error: …`) and how serious (default
 * info). A plain line writer is one too: it ignores the level.
 */
export type NoteLog = (msg: string, level?: LogLevel) => void;

/** What a log is built from. */
export interface LogOptions {
  /** Lines below this level are dropped. */
  level: LogLevel;
  /** JSON lines or human lines. */
  format: LogFormat;
  /** Where request records go (stdout on servers). */
  out: (line: string) => void;
  /** Where notes go (stderr on servers). */
  err: (line: string) => void;
  /** The clock (tests pin it). */
  now?: () => Date;
}

/** Request records and notes as leveled lines. */
export class Log {
  readonly #rank: number;
  constructor(private readonly options: LogOptions) {
    this.#rank = LOG_LEVELS.indexOf(options.level);
  }

  /** Whether lines of `level` are written. */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= this.#rank;
  }

  /** A note (stderr). */
  readonly note: NoteLog = (msg, level = "info") => {
    if (this.enabled(level)) this.options.err(this.line(level, msg, {}));
  };

  /** A request record (stdout): at error for a 5xx or a failure mid-stream, else at info (a 4xx is the client's). */
  readonly request = (record: RequestRecord): void => {
    const level = record.status >= 500 || record.end === "failed" ? "error" : "info";
    if (this.enabled(level)) this.options.out(this.line(level, "request", { ...record }));
  };

  /** One line of `level` (a pretty note keeps the line breaks of its cause), ending in a newline. */
  line(level: LogLevel, msg: string, fields: Record<string, unknown>): string {
    const ts = (this.options.now?.() ?? new Date()).toISOString();
    if (this.options.format === "json") return `${JSON.stringify({ ts, level, msg, ...fields })}\n`;
    const pairs = Object.entries(fields).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => ` ${k}=${pretty(v)}`).join("");
    return `${ts} ${level.toUpperCase().padEnd(5)} ${msg}${pairs}\n`;
  }
}

/** A field value in a human line: bare when it is a word, else JSON. */
function pretty(value: unknown): string {
  return typeof value === "string" && /^[\w.:/@+-]+$/.test(value) ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value);
}
