/** The import graph of a TypeScript entry (static and literal dynamic imports), for the core boundary test and the bundle report. */
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";

/** One module of the graph and the specifiers it imports. */
export interface ModuleNode {
  readonly path: string;
  readonly imports: readonly string[];
  readonly source: string;
}

const IMPORT = /^\s*(?:import|export)\s(?:[^;'"]*?\sfrom\s)?\s*["']([^"']+)["']/gm;
/** `import("./x.ts")`: a module loaded on first use is still part of what the entry can run. */
const DYNAMIC_IMPORT = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** Every module reachable from `entry` through static and dynamic imports, bare and host specifiers left as leaves. */
export function importGraph(entry: string): Map<string, ModuleNode> {
  const seen = new Map<string, ModuleNode>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    const source = readFileSync(path, "utf8");
    const statics = [...source.matchAll(IMPORT)].filter((m) => !/^\s*(?:import|export)\s+type\s/.test(m[0])).map((m) => m[1]!);
    const imports = [...statics, ...[...source.matchAll(DYNAMIC_IMPORT)].map((m) => m[1]!)];
    seen.set(path, { path, imports, source });
    for (const spec of imports) if (spec.startsWith(".")) visit(resolve(dirname(path), spec));
  };
  visit(resolve(entry));
  return seen;
}

/** Where `from` imports `spec`, relative to `root`, for messages. */
export function where(root: string, node: ModuleNode, spec: string): string {
  return `${relative(root, node.path)} imports ${spec}`;
}
