/**
 * System tools some tests need (spin, redis-server, …). `npm test` on a machine without one skips those tests and
 * says so loudly; `.ci/run` sets RSK_REQUIRE_TOOLS=1, which turns every such skip into a failure.
 */
import { spawnSync } from "node:child_process";

/** False when every tool runs; otherwise the skip reason (or a throw, when CI requires the tools). */
export function missingTools(...tools: [command: string, versionFlag: string][]): string | false {
  const missing = tools.filter(([cmd, flag]) => spawnSync(cmd, [flag], { encoding: "utf8" }).error !== undefined).map(([cmd]) => cmd);
  if (missing.length === 0) return false;
  const reason = `${missing.join(", ")} not installed (apt-get install -y ${missing.join(" ")})`;
  if (process.env.RSK_REQUIRE_TOOLS === "1") throw new Error(`RSK_REQUIRE_TOOLS=1 and ${reason}`);
  console.warn(`\n*** SKIPPED: ${reason}; .ci/run installs it ***\n`);
  return reason;
}
