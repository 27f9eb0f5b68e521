/**
 * `$ref` resolution inside one schema document: base URIs from `$id` (and draft-04 `id`), plain-name fragments
 * (`"$id": "#foo"`, 2020-12 `$anchor`), JSON pointers with `~0` / `~1` and percent escapes, `definitions` and
 * `$defs`. Only references to the schema itself resolve: rsk never fetches a remote schema.
 */
import { DATA_KEYWORDS } from "./keywords.ts";

/** Base URI of a schema without an `$id` (any absolute URI works: it only anchors relative references). */
const DEFAULT_BASE = "https://rsk.invalid/schema.json";

/** Where a reference points, or why it does not resolve. */
export type Resolved = { readonly key: string; readonly node: unknown } | { readonly error: string };

/** Every resource and anchor of one schema document, and the base URI of each of its sub-schemas. */
export class SchemaIndex {
  readonly #resources = new Map<string, unknown>();
  readonly #anchors = new Map<string, unknown>();
  readonly #bases = new WeakMap<object, string>();

  /** Indexes `root`, calling `tick` now and then (the compile deadline). */
  constructor(root: unknown, tick: () => void) {
    // Iterative: a schema nested thousands deep must not overflow the call stack here.
    const work: [unknown, string][] = [[root, DEFAULT_BASE]];
    for (let seen = 1; work.length > 0; seen++) {
      if ((seen & 255) === 0) tick();
      const [node, outer] = work.pop()!;
      let base = outer;
      if (typeof node !== "object" || node === null) continue;
      if (Array.isArray(node)) {
        for (const item of node) work.push([item, base]);
        continue;
      }
      const s = node as Record<string, unknown>;
      const id = typeof s.$id === "string" ? s.$id : typeof s.id === "string" ? s.id : undefined;
      if (id !== undefined) {
        const url = tryUrl(id, base);
        if (url) {
          if (url.hash.length > 1 && id.startsWith("#")) this.#anchors.set(url.href, node);
          else {
            base = withoutHash(url);
            if (!this.#resources.has(base) || node === root) this.#resources.set(base, node);
            if (url.hash.length > 1) this.#anchors.set(url.href, node);
          }
        }
      }
      if (typeof s.$anchor === "string") this.#anchors.set(`${base}#${s.$anchor}`, node);
      this.#bases.set(node, base);
      for (const [k, v] of Object.entries(s)) if (!DATA_KEYWORDS.has(k)) work.push([v, base]);
    }
    this.#resources.set(DEFAULT_BASE, root);
  }

  /** The absolute form of `ref` as written in `holder` (a cache key equal for every spelling of one target). */
  absolute(ref: string, holder: unknown): string | undefined {
    const base = (typeof holder === "object" && holder !== null && this.#bases.get(holder)) || DEFAULT_BASE;
    const url = tryUrl(ref, base);
    if (!url) return undefined;
    // "#" and "" both mean the resource itself.
    return url.hash === "#" ? withoutHash(url) : url.href;
  }

  /** The schema `ref` (written in `holder`) points at. */
  resolve(ref: string, holder: unknown): Resolved {
    const key = this.absolute(ref, holder);
    if (key === undefined) return { error: `reference ${JSON.stringify(ref)} is not a valid URI reference` };
    const hashAt = key.indexOf("#");
    const doc = hashAt < 0 ? key : key.slice(0, hashAt);
    const fragment = hashAt < 0 ? "" : key.slice(hashAt + 1);
    const resource = this.#resources.get(doc);
    if (resource === undefined) {
      return { error: `reference ${JSON.stringify(ref)} does not resolve (only references within the schema are supported)` };
    }
    if (fragment === "") return { key, node: resource };
    if (!fragment.startsWith("/")) {
      const anchored = this.#anchors.get(key);
      return anchored === undefined ? { error: `reference ${JSON.stringify(ref)} names no $id / $anchor of the schema` } : { key, node: anchored };
    }
    let node: unknown = resource;
    for (const raw of fragment.slice(1).split("/")) {
      let token: string;
      try {
        token = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
      } catch {
        return { error: `reference ${JSON.stringify(ref)} has an invalid percent escape` };
      }
      if (typeof node !== "object" || node === null || !Object.hasOwn(node, token)) return { error: `reference ${JSON.stringify(ref)} does not resolve` };
      node = (node as Record<string, unknown>)[token];
    }
    return { key, node };
  }

  /** The base URI `node` was found under (to resolve the references it holds). */
  baseOf(node: object): string | undefined {
    return this.#bases.get(node);
  }

  /** Records that `derived` (a schema built from `source`, e.g. an allOf merge) resolves references as `source` does. */
  inherit(derived: object, source: unknown): void {
    if (typeof source !== "object" || source === null) return;
    const base = this.#bases.get(source);
    if (base !== undefined && !this.#bases.has(derived)) this.#bases.set(derived, base);
  }
}

function tryUrl(ref: string, base: string): URL | undefined {
  try {
    return new URL(ref, base);
  } catch {
    return undefined;
  }
}

function withoutHash(url: URL): string {
  return url.href.replace(/#.*$/, "");
}
