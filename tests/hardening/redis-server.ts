/** A real redis-server (Debian package `redis-server`) on a free port in a temp folder, started and stopped by a test. */
import { type ChildProcess, spawn } from "node:child_process";
import { freePorts } from "../net.ts";
import { missingTools } from "../system-tools.ts";
import { tempDir } from "./fixtures.ts";

/** A running redis-server. */
export interface RedisProcess {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** Whether redis-server is installed (CI installs it and requires it; see .ci/run). */
export const HAVE_REDIS = !missingTools(["redis-server", "--version"]);

/** Starts redis-server with no persistence; resolves once it accepts connections. */
export async function startRedis(): Promise<RedisProcess> {
  const tmp = tempDir("redis");
  const [port] = await freePorts(1);
  const child: ChildProcess = spawn("redis-server", [
    "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp.dir,
  ], { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("Ready to accept connections")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
      tmp.remove();
    },
  };
}
