/**
 * Process metrics for the CLI gateway's `/metrics` (servers only: it reads `process` and `/proc`): memory, CPU, open
 * descriptors, start time, event-loop lag and build info, under the names Prometheus client libraries use.
 */
import { readdirSync } from "node:fs";
import type { Exposable } from "../metrics/registry.ts";

/** One sampled family: its value (or labelled values) read at exposition time. */
class Sampled implements Exposable {
  constructor(
    private readonly name: string,
    private readonly type: "gauge" | "counter",
    private readonly help: string,
    private readonly read: () => number | undefined,
    private readonly labels = "",
  ) {}

  expose(): string {
    const value = this.read();
    const head = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.type}`;
    return value === undefined ? head : `${head}\n${this.name}${this.labels} ${value}`;
  }
}

/** Open descriptors (Linux `/proc`; undefined elsewhere, and the family then has no sample). */
function openFds(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return undefined;
  }
}

/** The families, plus a 100 ms timer measuring event-loop lag (unref'd: it never keeps the process alive). */
export function processMetrics(version: string, runtime: string): Exposable[] {
  const startedAt = Date.now() / 1000 - performance.now() / 1000;
  let lag = 0, expected = performance.now() + 100;
  const timer = setInterval(() => {
    const now = performance.now();
    lag = Math.max(0, now - expected) / 1000;
    expected = now + 100;
  }, 100);
  (timer as { unref?: () => void }).unref?.();
  const escape = (s: string) => s.replace(/[\\"\n]/g, "_");
  return [
    new Sampled("process_resident_memory_bytes", "gauge", "Resident memory in bytes.", () => process.memoryUsage().rss),
    new Sampled("process_cpu_seconds_total", "counter", "User and system CPU time, in seconds.", () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    }),
    new Sampled("process_open_fds", "gauge", "Open file descriptors.", openFds),
    new Sampled("process_start_time_seconds", "gauge", "Start time of the process, in Unix seconds.", () => Math.round(startedAt)),
    new Sampled("rsk_event_loop_lag_seconds", "gauge", "How late the last 100 ms timer fired, in seconds.", () => lag),
    new Sampled("rsk_build_info", "gauge", "Version and runtime of this gateway (always 1).", () => 1, `{version="${escape(version)}",runtime="${escape(runtime)}"}`),
  ];
}
