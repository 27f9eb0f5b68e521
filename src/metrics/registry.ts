/**
 * Prometheus text-format counters and histograms.
 * Hand-written: prom-client (the well-kept option) leans on Node-only modules (cluster, perf_hooks) and is not
 * made for Bun/Deno; what we need is ~100 lines with no dependency.
 */

type Labels = Record<string, string>;

const escape = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const render = (labels: Labels) => {
  const keys = Object.keys(labels);
  return keys.length === 0 ? "" : `{${keys.map((k) => `${k}="${escape(labels[k]!)}"`).join(",")}}`;
};
const keyOf = (names: readonly string[], labels: Labels) => names.map((n) => labels[n] ?? "").join("\u0000");

/** A monotonically increasing count per label set. */
export class Counter<L extends string = never> {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly L[] = []) {}

  /** Adds `by` (default 1) to the series for `labels`. */
  inc(labels: Record<L, string> = {} as Record<L, string>, by = 1): void {
    const key = keyOf(this.labelNames, labels);
    const entry = this.#values.get(key);
    if (entry) entry.value += by;
    else this.#values.set(key, { labels: { ...labels }, value: by });
  }

  /** One series, resolved once: `inc` on it skips the label lookup (for counts taken on a hot path). */
  series(labels: Record<L, string> = {} as Record<L, string>): { inc(by?: number): void } {
    const key = keyOf(this.labelNames, labels);
    let entry = this.#values.get(key);
    if (!entry) this.#values.set(key, (entry = { labels: { ...labels }, value: 0 }));
    const e = entry;
    return { inc: (by = 1) => void (e.value += by) };
  }

  /** Current value of one series (0 when never incremented). */
  get(labels: Record<L, string> = {} as Record<L, string>): number {
    return this.#values.get(keyOf(this.labelNames, labels))?.value ?? 0;
  }

  /** Exposition lines. */
  expose(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.#values.values()) lines.push(`${this.name}${render(labels)} ${value}`);
    return lines.join("\n");
  }
}

/** A value gauge sampled at scrape time. */
export class Gauge {
  constructor(readonly name: string, readonly help: string, readonly read: () => number) {}

  /** Exposition lines. */
  expose(): string {
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n${this.name} ${this.read()}`;
  }
}

/** Cumulative-bucket histogram per label set (seconds, by Prometheus convention). */
export class Histogram<L extends string = never> {
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
    readonly labelNames: readonly L[] = [],
  ) {}

  /** Records one observation. */
  observe(value: number, labels: Record<L, string> = {} as Record<L, string>): void {
    this.#add(this.#entry(labels), value);
  }

  /** One series, resolved once: `observe` on it skips the label lookup (for observations on a hot path). */
  series(labels: Record<L, string> = {} as Record<L, string>): { observe(value: number): void } {
    const entry = this.#entry(labels);
    return { observe: (value) => this.#add(entry, value) };
  }

  #entry(labels: Labels): { labels: Labels; counts: number[]; sum: number; count: number } {
    const key = keyOf(this.labelNames, labels);
    let s = this.#series.get(key);
    if (!s) this.#series.set(key, (s = { labels: { ...labels }, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    return s;
  }

  #add(s: { counts: number[]; sum: number; count: number }, value: number): void {
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  /** Number of observations of one series. */
  count(labels: Record<L, string> = {} as Record<L, string>): number {
    return this.#series.get(keyOf(this.labelNames, labels))?.count ?? 0;
  }

  /** Exposition lines. */
  expose(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      this.buckets.forEach((le, i) => lines.push(`${this.name}_bucket${render({ ...labels, le: String(le) })} ${counts[i]}`));
      lines.push(`${this.name}_bucket${render({ ...labels, le: "+Inf" })} ${count}`);
      lines.push(`${this.name}_sum${render(labels)} ${sum}`, `${this.name}_count${render(labels)} ${count}`);
    }
    return lines.join("\n");
  }
}

/** Anything that can print itself in the exposition format. */
export interface Exposable {
  /** Exposition lines for this metric family. */
  expose(): string;
}

/** Joins metric families into one `text/plain; version=0.0.4` body. */
export function exposition(metrics: readonly Exposable[]): string {
  return metrics.map((m) => m.expose()).join("\n") + "\n";
}
