/** The live policy set: swapped atomically on reload, and kept when a reload fails (the last good one stays). */
import { type FSWatcher, statSync, watch } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPolicies, PolicyLoadError, type Policy, type PolicySet } from "./load.ts";
import type { PolicySource, ReloadResult } from "./source.ts";

export type { ReloadResult } from "./source.ts";

/** The shipped default policy file, wherever the gateway is started from. */
export const DEFAULT_POLICY = fileURLToPath(new URL("../../policies/default.json", import.meta.url));

/** Policy files on a server: loaded at construction, reloaded when they change; readers take one snapshot per request. */
export class PolicyStore implements PolicySource {
  /** Loaded at construction, so always settled. */
  readonly ready: Promise<void> = Promise.resolve();
  #current: PolicySet;
  #watcher: FSWatcher | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Loads `path` now; throws PolicyLoadError so a server refuses to start on a bad policy. */
  constructor(
    /** File or folder the policies come from. */
    readonly path: string,
    /** Called after every reload attempt (success or failure). */
    private readonly onReload: (result: ReloadResult) => void = () => {},
  ) {
    this.#current = loadPolicies(path);
  }

  /** The current snapshot. */
  get current(): PolicySet {
    return this.#current;
  }

  /** The policy named `name` (or the default) from the current snapshot; undefined when unknown. */
  resolve(name?: string): Policy | undefined {
    const set = this.#current;
    return name === undefined ? set.defaultPolicy : set.byName.get(name);
  }

  /** Re-reads the files; on any error the previous snapshot stays in force. */
  reload(): ReloadResult {
    let result: ReloadResult;
    try {
      this.#current = loadPolicies(this.path);
      result = { ok: true, policies: this.#current.byName.size };
    } catch (err) {
      const error = err instanceof PolicyLoadError ? err : new PolicyLoadError([`${this.path}: ${(err as Error).message}`]);
      result = { ok: false, error };
    }
    this.onReload(result);
    return result;
  }

  /** Reloads when a policy file changes (debounced); watches the folder so editors' rename-on-save is seen. */
  watch(debounceMs = 100): void {
    if (this.#watcher) return;
    const folder = statSync(this.path).isDirectory() ? this.path : dirname(this.path);
    this.#watcher = watch(folder, () => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.reload(), debounceMs);
    });
    this.#watcher.on("error", (err: Error) =>
      this.onReload({ ok: false, error: new PolicyLoadError([`${folder}: watching for changes failed: ${err.message}`]) }));
  }

  /** Stops watching. */
  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
