/**
 * The routing file on a server: read and validated (every problem listed with its JSON path), its API key
 * variables checked, and reloaded when it changes — a bad edit keeps the last good routes.
 */
import { readFileSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import * as v from "valibot";
import { jsonPath } from "../../policy/compile.ts";
import type { Backend, BackendRequest } from "../types.ts";
import { RoutedBackend, type RouterEvents } from "./router.ts";
import { type RoutingFile, RoutingSchema } from "./schema.ts";

/** A routing file that failed to load; the message lists every problem as `file: $.path: message`. */
export class RoutingFileError extends Error {
  constructor(problems: string[]) {
    super(`invalid routing file:\n  ${problems.join("\n  ")}`);
    this.name = "RoutingFileError";
  }
}

/** Reads and validates the routing file; every `apiKeyEnv` must be set in `env`. */
export function loadRouting(path: string, env: Record<string, string | undefined>): RoutingFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new RoutingFileError([`${path}: ${(err as Error).message}`]);
  }
  const parsed = v.safeParse(RoutingSchema, json);
  if (!parsed.success) throw new RoutingFileError(parsed.issues.map((i) => `${path}: ${jsonPath(i.path?.map((p) => p.key) ?? [])}: ${i.message}`));
  const unset = Object.entries(parsed.output.upstreams).filter(([, u]) => u.apiKeyEnv && !env[u.apiKeyEnv]);
  if (unset.length > 0) throw new RoutingFileError(unset.map(([name, u]) => `${path}: $.upstreams.${name}.apiKeyEnv: ${u.apiKeyEnv} is not set in the environment`));
  return parsed.output;
}

/** The routed backend of `path`, swapped for a new one when the file changes (requests in flight keep theirs). */
export class RoutingStore implements Backend {
  #current: RoutedBackend;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #watcher;

  /** Loads now (throws RoutingFileError at start-up) and watches the file's folder (editors replace files on save). */
  constructor(readonly path: string, private readonly env: Record<string, string | undefined>, private readonly events: RouterEvents & { reload?: (error?: Error) => void } = {}) {
    this.#current = new RoutedBackend(loadRouting(path, env), env, events);
    this.#watcher = watch(dirname(path), (_event, file) => {
      if (file !== null && file !== basename(path)) return;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.#reload(), 100);
    });
    this.#watcher.on("error", (err: Error) => events.reload?.(err));
  }

  /** The current routes' models. */
  models() {
    return this.#current.models();
  }

  /** Whether the current routes can serve. */
  ready() {
    return this.#current.ready();
  }

  /** One request, on the routes current when it starts. */
  generate(request: BackendRequest) {
    return this.#current.generate(request);
  }

  /** Stops watching. */
  close(): void {
    clearTimeout(this.#timer);
    this.#watcher.close();
  }

  #reload(): void {
    try {
      this.#current = new RoutedBackend(loadRouting(this.path, this.env), this.env, this.events);
      this.events.reload?.();
    } catch (err) {
      this.events.reload?.(err as Error);
    }
  }
}
