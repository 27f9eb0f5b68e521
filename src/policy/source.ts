/**
 * Where a gateway's policies come from. Servers read files and watch them (`PolicyStore`); edge hosts bundle them
 * (`BundledPolicies`) or poll a URL or a KV namespace (`PollingPolicies`). Every source swaps whole sets atomically
 * and keeps the last good set when a new one fails.
 */
import { compilePolicies, fileName, MAX_POLICY_BYTES, type Policy, PolicyLoadError, type PolicySet, policySet, type PolicyText, policyVersion } from "./compile.ts";

/** Outcome of a reload attempt, for logs and metrics. */
export type ReloadResult = { ok: true; policies: number } | { ok: false; error: PolicyLoadError };

/** The live policy set a gateway reads: one immutable snapshot per request. */
export interface PolicySource {
  /** Settles once a first set is in force; rejects (PolicyLoadError) when there is none to serve. */
  readonly ready: Promise<void>;
  /** The current snapshot (only after `ready`). */
  readonly current: PolicySet;
  /** The policy named `name` (or the default) from the current snapshot; undefined when unknown. */
  resolve(name?: string): Policy | undefined;
  /** Stops watching or polling. */
  close(): void;
}

/** A policy given to a bundled source: its JSON text, or the object a JSON import produced. */
export type BundledPolicy = string | object;

/**
 * Policies bundled with the code (e.g. `import policy from "./default.json" with { type: "json" }`): validated and
 * compiled when constructed (a bad one throws PolicyLoadError at start-up), versioned by the sha256 of their text
 * (an imported object's text is its `JSON.stringify`).
 */
export class BundledPolicies implements PolicySource {
  readonly ready: Promise<void>;
  #current: PolicySet | undefined;

  /** `policies` by name (`{ "default.json": policy }`), compiled now. */
  constructor(policies: Record<string, BundledPolicy>) {
    const texts = Object.entries(policies).map(([origin, p]) => ({ origin, text: typeof p === "string" ? p : JSON.stringify(p) }));
    // Gates compile here, synchronously (at module scope on an edge host); Web Crypto hashes the versions afterwards.
    const unversioned = policySet(texts.map((t) => ({ ...t, version: "" })));
    this.ready = Promise.all(texts.map((t) => policyVersion(t.text))).then((versions) => {
      this.#current = withVersions(unversioned, new Map(texts.map((t, i) => [fileName(t.origin), versions[i]!])));
    });
  }

  /** The compiled set. */
  get current(): PolicySet {
    if (!this.#current) throw new Error("policies are not ready: await `ready` first");
    return this.#current;
  }

  /** The policy named `name` (or the default). */
  resolve(name?: string): Policy | undefined {
    return resolveIn(this.current, name);
  }

  /** Nothing to stop. */
  close(): void {}
}

/** How a polling source fetches and how often. */
export interface PollingOptions {
  /** Fetches every policy text (a URL, a KV namespace…); a throw counts as a failed reload. */
  load: () => Promise<readonly PolicyText[]>;
  /** Least time between two loads, in ms (default 60 s). Loads happen on requests, never on a timer. */
  intervalMs?: number;
  /** Called after every reload attempt but a first one that succeeds. */
  onReload?: (result: ReloadResult) => void;
  /** Clock in ms (tests). */
  now?: () => number;
}

/**
 * Policies fetched from elsewhere and refreshed at most every `intervalMs`: the first request waits for the first
 * load; later requests use the current set while one refresh runs in the background (edge hosts allow no timers
 * outside a request). A refresh that fails or does not compile keeps the last good set.
 */
export class PollingPolicies implements PolicySource {
  readonly #options: PollingOptions;
  readonly #interval: number;
  readonly #now: () => number;
  #current: PolicySet | undefined;
  #first: Promise<void> | undefined;
  #refreshing = false;
  #loadedAt = 0;
  #closed = false;

  /** Nothing is fetched until the source is first used. */
  constructor(options: PollingOptions) {
    this.#options = options;
    this.#interval = options.intervalMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** The first load (started on first use; after a failure, the next use tries again). */
  get ready(): Promise<void> {
    this.#first ??= this.#load().then(
      (set) => {
        this.#current = set;
      },
      (err: PolicyLoadError) => {
        this.#first = undefined;
        this.#options.onReload?.({ ok: false, error: err });
        throw err;
      },
    );
    return this.#first;
  }

  /** The current set; starts a background refresh when it is older than the interval. */
  get current(): PolicySet {
    if (!this.#current) throw new Error("policies are not ready: await `ready` first");
    if (!this.#closed && !this.#refreshing && this.#now() - this.#loadedAt >= this.#interval) void this.#refresh();
    return this.#current;
  }

  /** The policy named `name` (or the default). */
  resolve(name?: string): Policy | undefined {
    return resolveIn(this.current, name);
  }

  /** Stops refreshing. */
  close(): void {
    this.#closed = true;
  }

  async #refresh(): Promise<void> {
    this.#refreshing = true;
    let result: ReloadResult;
    try {
      this.#current = await this.#load();
      result = { ok: true, policies: this.#current.byName.size };
    } catch (err) {
      result = { ok: false, error: err as PolicyLoadError };
    } finally {
      this.#refreshing = false;
    }
    this.#options.onReload?.(result);
  }

  async #load(): Promise<PolicySet> {
    this.#loadedAt = this.#now();
    try {
      return await compilePolicies(await this.#options.load());
    } catch (err) {
      throw err instanceof PolicyLoadError ? err : new PolicyLoadError([`policy source: ${(err as Error).message}`]);
    }
  }
}

/** Longest wait for one policy URL. */
const FETCH_TIMEOUT_MS = 10_000;

/** A `load` for PollingPolicies: one policy file per URL, each at most MAX_POLICY_BYTES. */
export function policiesFromUrls(urls: readonly string[], init: RequestInit = {}): () => Promise<PolicyText[]> {
  return () => Promise.all(urls.map(async (url) => {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) throw new PolicyLoadError([`${url}: HTTP ${res.status}`]);
    return { origin: url, text: await boundedText(res, url) };
  }));
}

/** The part of a Workers KV namespace a policy source reads. */
export interface PolicyKv {
  get(key: string, type: "text"): Promise<string | null>;
}

/** A `load` for PollingPolicies: one policy per KV key (a missing key is a failed load). */
export function policiesFromKv(kv: PolicyKv, keys: readonly string[]): () => Promise<PolicyText[]> {
  return () => Promise.all(keys.map(async (key) => {
    const text = await kv.get(key, "text");
    if (text === null) throw new PolicyLoadError([`kv:${key}: no such key`]);
    return { origin: `kv:${key}`, text };
  }));
}

/** The body as text, refused (and the download cancelled) past MAX_POLICY_BYTES. */
async function boundedText(res: Response, url: string): Promise<string> {
  const tooLarge = () => new PolicyLoadError([`${url}: larger than ${MAX_POLICY_BYTES} bytes`]);
  if (Number(res.headers.get("content-length")) > MAX_POLICY_BYTES) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  const reader = res.body?.getReader();
  for (let step = await reader?.read(); step && !step.done; step = await reader!.read()) {
    bytes += step.value.byteLength;
    if (bytes > MAX_POLICY_BYTES) {
      await reader!.cancel();
      throw tooLarge();
    }
    chunks.push(step.value);
  }
  const all = new Uint8Array(bytes);
  let at = 0;
  for (const c of chunks) all.set(c, (at += c.byteLength) - c.byteLength);
  return new TextDecoder().decode(all);
}

function resolveIn(set: PolicySet, name: string | undefined): Policy | undefined {
  return name === undefined ? set.defaultPolicy : set.byName.get(name);
}

function withVersions(set: PolicySet, versions: ReadonlyMap<string, string>): PolicySet {
  const byName = new Map<string, Policy>();
  let defaultPolicy = set.defaultPolicy;
  for (const [name, p] of set.byName) {
    const versioned = { ...p, version: versions.get(p.file) ?? "" };
    byName.set(name, versioned);
    if (p === set.defaultPolicy) defaultPolicy = versioned;
  }
  return { byName, defaultPolicy };
}
