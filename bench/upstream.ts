/** A scripted upstream in its own process for benchmarks (so its CPU is not the gateway's): model `bench` streams
 * `events` one-word chunks, model `short` one short answer. */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Starts it (its script written to `scratch`); resolves to its base URL and a stop function. */
export function startBenchUpstream(scratch: string, events: number): Promise<{ url: string; stop: () => void }> {
  const script = join(scratch, "upstream.ts");
  writeFileSync(script, `import { startScriptedUpstream } from ${JSON.stringify(join(root, "tests/server/scripted-upstream.ts"))};
const up = startScriptedUpstream();
const words = "The gateway checks every token for personal data and blocked phrases before release. ".split(/(?<= )/);
up.scripts.set("bench", { text: Array.from({ length: ${events} }, (_, i) => words[i % words.length]).join(""), chunking: "words" });
up.scripts.set("short", { text: "ok", chunking: 1 });
console.log(up.url);
`);
  const child = spawn(join(root, "node_modules/.bin/bun"), [script], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve) => child.stdout.once("data", (d: Buffer) => resolve({ url: d.toString().trim(), stop: () => child.kill() })));
}
