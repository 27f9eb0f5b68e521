/**
 * A coverage corpus of real-world-shaped JSON Schemas (issue 17), generated from seven families of templates ×
 * seeded variations: OpenAPI components, Kubernetes CRD-like resources, package manifests, CI workflows,
 * function-calling tools, Snowplow self-describing events and JSON-Schema-Store-like config files. Each carries the
 * annotations and extensions such schemas really have (titles, examples, `x-*`, `self`, `id`, `$schema`) and the
 * validation keywords they really use, some of which rsk refuses (uniqueItems over strings…). Instances are
 * a valid document in property order plus mutations; ajv labels them (tests/grammar/realworld.test.ts).
 */

/** One generated schema with instances (labels come from ajv). */
export interface RealWorldEntry {
  readonly name: string;
  readonly family: string;
  readonly schema: Record<string, unknown>;
  readonly instances: readonly unknown[];
}

/** A schema fragment with a valid value and values that should break it. */
interface Field {
  readonly schema: Record<string, unknown>;
  readonly ok: unknown;
  readonly bad: readonly unknown[];
}

/** Deterministic choices (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { chance: (p: number) => next() < p, pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)) };
}
type Rng = ReturnType<typeof rng>;

const f = (schema: Record<string, unknown>, ok: unknown, bad: unknown[]): Field => ({ schema, ok, bad });
const notes = (r: Rng, s: Record<string, unknown>, title: string): Record<string, unknown> => ({
  ...(r.chance(0.6) ? { title } : {}), ...(r.chance(0.6) ? { description: `The ${title}.` } : {}), ...(r.chance(0.2) ? { $comment: "generated" } : {}), ...s,
});

// Leaf fields, each with an annotation or two some of the time.
const fields = {
  name: (r: Rng) => f(notes(r, { type: "string", minLength: 1, maxLength: r.pick([32, 64, 100]), ...(r.chance(0.3) ? { examples: ["web"] } : {}) }, "name"), "web-1", ["", 3, "x".repeat(101)]),
  slug: (r: Rng) => f({ type: "string", pattern: r.pick(["^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "^[a-z][a-z0-9_]*$", "^[a-z0-9-]+$"]), ...(r.chance(0.5) ? { maxLength: 63 } : {}) }, "abc", ["ABC", "-", "a b"]),
  version: (r: Rng) => f({ type: "string", pattern: r.pick(["^\\d+\\.\\d+\\.\\d+$", "^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z.-]+)?$", "^v?[0-9]+(\\.[0-9]+)*$"]), ...(r.chance(0.3) ? { default: "1.0.0" } : {}) }, "1.2.3", ["1.2", "x"]),
  email: (r: Rng) => f({ type: "string", format: "email", ...(r.chance(0.4) ? { maxLength: r.pick([64, 100, 254]) } : {}) }, "ops@example.com", ["ops", "a@b"]),
  uri: (r: Rng) => f({ type: "string", format: "uri", ...(r.chance(0.3) ? { "x-format-hint": "url" } : {}) }, "https://example.com/a", ["example.com", 1]),
  dateTime: (r: Rng) => f({ type: "string", format: "date-time", ...(r.chance(0.3) ? { readOnly: true } : {}) }, "2024-05-01T10:00:00Z", ["yesterday", "2024-05-01"]),
  date: () => f({ type: "string", format: "date" }, "2024-02-29", ["2024-13-01"]),
  uuid: (r: Rng) => f({ type: "string", format: "uuid", ...(r.chance(0.3) ? { example: "123e4567-e89b-12d3-a456-426614174000" } : {}) }, "123e4567-e89b-12d3-a456-426614174000", ["123"]),
  count: (r: Rng) => f({ type: "integer", minimum: r.pick([0, 1]), ...(r.chance(0.5) ? { maximum: r.pick([10, 100, 65535]) } : {}), ...(r.chance(0.3) ? { default: 1 } : {}) }, 5, [-1, 1.5, "5", 70000]),
  port: () => f({ type: "integer", minimum: 1, maximum: 65535 }, 8080, [0, 65536]),
  ratio: (r: Rng) => f({ type: "number", minimum: 0, maximum: r.pick([1, 100]) }, 0.5, [-0.1, 101]),
  flag: (r: Rng) => f({ type: "boolean", ...(r.chance(0.4) ? { default: false } : {}) }, true, ["true", 0]),
  level: (r: Rng) => f({ type: "string", enum: r.pick([["debug", "info", "warn", "error"], ["Always", "IfNotPresent", "Never"], ["low", "medium", "high"]]) }, undefined, ["LOUD", 1]),
  nullableText: (r: Rng) => r.chance(0.5) ? f({ type: "string", nullable: true, maxLength: 200 }, null, [5]) : f({ type: ["string", "null"], maxLength: 200 }, "note", [5, false]),
  labels: (r: Rng) => f({ type: "object", additionalProperties: { type: "string" }, ...(r.chance(0.3) ? { maxProperties: 8 } : {}), ...(r.chance(0.3) ? { propertyNames: { pattern: "^[a-z0-9./-]+$", maxLength: 63 } } : {}) }, { app: "web", tier: "front" }, [{ app: 1 }, { "Bad Key": "x" }]),
  tags: (r: Rng) => f({ type: "array", items: { type: "string", minLength: 1 }, ...(r.chance(0.5) ? { maxItems: 10 } : {}), ...(r.chance(0.12) ? { uniqueItems: true } : {}) }, ["a", "b"], [[""], "a", [1]]),
  intOrString: () => f({ anyOf: [{ type: "integer" }, { type: "string", pattern: "^[0-9]+%?$" }], "x-kubernetes-int-or-string": true }, "50%", [true, "fifty"]),
};
type Leaf = keyof typeof fields;

/** An object of named fields; `req` of them required; closed or open. */
function object(r: Rng, parts: [string, Field][], opts: { closed?: boolean; extra?: Record<string, unknown> } = {}): Field {
  const required = parts.filter(() => r.chance(0.6)).map(([n]) => n);
  if (required.length === 0 && parts.length > 0) required.push(parts[0]![0]);
  const schema: Record<string, unknown> = { type: "object", properties: Object.fromEntries(parts.map(([n, x]) => [n, x.schema])), required, ...(opts.closed ? { additionalProperties: false } : {}), ...opts.extra };
  const value = (choose: (n: string) => unknown) => Object.fromEntries(parts.map(([n, x]) => [n, choose(n) !== undefined ? choose(n) : x.ok !== undefined ? x.ok : enumFirst(x)]).filter(([, v]) => v !== undefined));
  const ok = value(() => undefined);
  const bad: unknown[] = [];
  for (const [n, x] of parts) for (const b of x.bad.slice(0, 2)) bad.push(value((m) => (m === n ? b : undefined)));
  const missing = { ...ok as Record<string, unknown> };
  delete missing[required[0]!];
  bad.push(missing, "not an object", ok && { ...ok as Record<string, unknown>, zz_extra: 1 });
  const minimal = Object.fromEntries(Object.entries(ok as Record<string, unknown>).filter(([k]) => required.includes(k)));
  return { schema, ok, bad: [...bad, minimal] };
}
function enumFirst(x: Field): unknown {
  const e = x.schema.enum;
  return Array.isArray(e) ? e[0] : undefined;
}
const leaves = (r: Rng, names: [string, Leaf][]): [string, Field][] => names.filter((_, i) => i < 2 || r.chance(0.75)).map(([n, k]) => [n, fields[k](r)]);

type Template = (r: Rng, i: number) => { schema: Record<string, unknown>; instances: unknown[] };
const flat = (x: Field) => [x.ok, ...x.bad];

const templates: Record<string, Template> = {
  openapi: (r, i) => {
    const pet = object(r, leaves(r, [["id", "uuid"], ["name", "name"], ["status", "level"], ["tags", "tags"], ["owner_email", "email"], ["created_at", "dateTime"], ["notes", "nullableText"]]), { closed: r.chance(0.5), extra: { "x-go-name": `Model${i}`, ...(r.chance(0.3) ? { discriminator: { propertyName: "status" } } : {}), ...(r.chance(0.3) ? { xml: { name: "pet" } } : {}) } });
    const wrapped = r.chance(0.5);
    const schema = wrapped
      ? { components: { schemas: { Pet: pet.schema } }, type: "object", properties: { data: { type: "array", items: { $ref: "#/components/schemas/Pet" } }, next: { type: ["string", "null"] } }, required: ["data"], externalDocs: { url: "https://example.com" } }
      : { ...pet.schema, "x-stoplight": { id: `p${i}` }, ...(r.chance(0.1) ? { if: { properties: { status: { const: "sold" } } }, then: { required: ["owner_email"] } } : {}) };
    return { schema, instances: wrapped ? [{ data: [pet.ok], next: null }, { data: pet.bad.slice(0, 4) }, { data: [pet.ok], next: 3 }, { next: null }] : flat(pet) };
  },
  kubernetes: (r) => {
    const container = object(r, leaves(r, [["name", "slug"], ["image", "name"], ["imagePullPolicy", "level"], ["port", "port"], ["cpu", "intOrString"], ["env", "labels"]]), { closed: r.chance(0.3) });
    const spec = object(r, [["replicas", fields.count(r)], ["selector", fields.labels(r)], ["containers", f({ type: "array", items: container.schema, minItems: 1, ...(r.chance(0.08) ? { uniqueItems: true } : {}), "x-kubernetes-list-type": "map", "x-kubernetes-patch-merge-key": "name" }, [container.ok], [[], [container.bad[0]]])]]);
    const schema = { type: "object", "x-kubernetes-group-version-kind": [{ group: "apps", kind: "Deployment", version: "v1" }], properties: { apiVersion: { type: "string", const: "apps/v1" }, kind: { type: "string", enum: ["Deployment"] }, metadata: { type: "object", properties: { name: fields.slug(r).schema, labels: fields.labels(r).schema }, required: ["name"] }, spec: spec.schema }, required: ["apiVersion", "kind", "metadata"] };
    const doc = (s: unknown) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" }, spec: s });
    return { schema, instances: [doc(spec.ok), ...spec.bad.slice(0, 5).map(doc), { apiVersion: "v1", kind: "Deployment", metadata: { name: "web" } }, { apiVersion: "apps/v1", kind: "Deployment", metadata: {} }] };
  },
  manifest: (r) => {
    const depMap = r.pick([
      { type: "object", additionalProperties: { type: "string" } },
      { type: "object", patternProperties: { "^(@[a-z0-9-]+/)?[a-z0-9._-]+$": { type: "string" } }, additionalProperties: false },
      { type: "object", propertyNames: { pattern: "^[a-z@]" }, additionalProperties: { type: "string", maxLength: 64 } },
    ]);
    const man = object(r, [["name", fields.slug(r)], ["version", fields.version(r)], ["description", fields.name(r)], ["private", fields.flag(r)], ["license", f({ type: "string", enum: ["MIT", "Apache-2.0", "ISC"] }, "MIT", ["GPL"])], ["homepage", fields.uri(r)], ["dependencies", f(depMap, { hono: "^4.0.0" }, [{ Hono: 4 }, { "@@": 1 }])], ["bin", f({ type: "object", additionalProperties: { type: "string" }, minProperties: 1 }, { rsk: "./cli.js" }, [{}])]], { closed: r.chance(0.4), extra: { _format: "npm", ...(r.chance(0.1) ? { properties_extra: true } : {}) } });
    // Draft-07 spells it `dependencies`, 2019-09 on `dependentRequired`.
    const modern = r.chance(0.5);
    const deps = modern ? { dependentRequired: { bin: ["name"] } } : { dependencies: { bin: ["version"] } };
    return { schema: { $schema: modern ? "https://json-schema.org/draft/2020-12/schema" : "http://json-schema.org/draft-07/schema#", ...man.schema, ...deps }, instances: [...flat(man), { bin: { x: "y" } }] };
  },
  ci: (r) => {
    const step = r.chance(0.6)
      ? { type: "object", properties: { name: { type: "string" }, uses: { type: "string", pattern: "^[^@]+@[^@]+$" }, run: { type: "string" }, with: { type: "object", additionalProperties: { type: ["string", "number", "boolean"] } } }, not: r.chance(0.1) ? { required: ["uses", "run"] } : undefined, additionalProperties: false }
      : { type: "object", properties: { name: { type: "string" }, run: { type: "string", minLength: 1 }, shell: { enum: ["bash", "sh", "pwsh"] } }, required: ["run"], additionalProperties: false };
    if (step.not === undefined) delete step.not;
    const job = { type: "object", properties: { "runs-on": { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 1 }] }, "timeout-minutes": { type: "integer", minimum: 1, maximum: 360, ...(r.chance(0.1) ? { multipleOf: 5 } : {}) }, needs: { type: "array", items: { type: "string" } }, steps: { type: "array", items: step, minItems: 1 }, env: { type: "object", additionalProperties: { type: "string" } } }, required: ["runs-on", "steps"], additionalProperties: false };
    const schema = { $schema: "http://json-schema.org/draft-07/schema#", $id: "https://json.schemastore.org/ci-workflow.json", title: "CI workflow", definitions: { job }, type: "object", properties: { name: { type: "string" }, on: { anyOf: [{ type: "string", enum: ["push", "pull_request", "workflow_dispatch"] }, { type: "array", items: { type: "string" } }, { type: "object", minProperties: 1 }] }, jobs: { type: "object", patternProperties: { "^[_a-zA-Z][a-zA-Z0-9_-]*$": { $ref: "#/definitions/job" } }, additionalProperties: false, minProperties: 1 } }, required: ["on", "jobs"], additionalProperties: false };
    const stepOk = "uses" in (step.properties as object) ? { name: "co", uses: "actions/checkout@v4" } : { name: "t", run: "npm test" };
    const job1 = { "runs-on": "ubuntu-latest", "timeout-minutes": 10, steps: [stepOk] };
    return { schema, instances: [{ name: "ci", on: "push", jobs: { build: job1 } }, { on: ["push"], jobs: { build: job1, test_2: { "runs-on": "ubuntu-latest", needs: ["build"], steps: [stepOk] } } }, { on: "push", jobs: {} }, { on: "push", jobs: { "1bad": job1 } }, { on: "fork", jobs: { build: job1 } }, { on: {}, jobs: { build: job1 } }, { on: "push", jobs: { build: { ...job1, steps: [] } } }, { on: "push", jobs: { build: { ...job1, "timeout-minutes": 0 } } }, { on: "push", jobs: { build: { ...job1, steps: [{ ...stepOk, extra: 1 }] } } }] };
  },
  tool: (r, i) => {
    const params = object(r, leaves(r, [["query", "name"], ["limit", "count"], ["unit", "level"], ["since", "date"], ["threshold", "ratio"], ["verbose", "flag"], ["fields", "tags"]]), { closed: r.chance(0.7) });
    return { schema: { ...params.schema, ...(r.chance(0.5) ? { $schema: "http://json-schema.org/draft-07/schema#" } : {}), description: `Arguments of tool_${i}`, ...(r.chance(0.1) ? { if: { required: ["since"] }, then: { required: ["limit"] } } : {}) }, instances: flat(params) };
  },
  snowplow: (r, i) => {
    const ev = object(r, leaves(r, [["event_id", "uuid"], ["category", "name"], ["action", "slug"], ["value", "ratio"], ["label", "nullableText"], ["occurred_at", "dateTime"], ["attempt", "count"]]), { closed: true });
    return { schema: { $schema: "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#", self: { vendor: "com.acme", name: `event_${i}`, format: "jsonschema", version: "1-0-0" }, ...ev.schema }, instances: flat(ev) };
  },
  schemastore: (r, i) => {
    const rule = { type: "object", properties: { severity: { enum: ["off", "warn", "error", 0, 1, 2] }, options: { type: "array", items: { type: "string" } } }, additionalProperties: false };
    const idKey = r.pick(["$id", "id"]);
    const draft4 = idKey === "id";
    const schema: Record<string, unknown> = {
      $schema: draft4 ? "http://json-schema.org/draft-04/schema#" : "http://json-schema.org/draft-07/schema#", [idKey]: `https://json.schemastore.org/tool-${i}.json`,
      definitions: { rule, level: { oneOf: [{ type: "string", enum: ["off", "warn", "error"] }, { type: "integer", minimum: 0, maximum: 2 }] } },
      type: "object", properties: { root: { type: "boolean", default: false }, extends: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] }, rules: { type: "object", additionalProperties: { anyOf: [{ $ref: "#/definitions/level" }, { $ref: "#/definitions/rule" }] }, ...(r.chance(0.5) ? { propertyNames: { pattern: "^[a-z-]+(/[a-z-]+)?$" } } : {}) }, env: { type: "object", patternProperties: { "^[a-z]+$": { type: "boolean" } }, ...(r.chance(0.5) ? { additionalProperties: false } : {}) }, ignore: { type: "array", items: { type: "string" }, ...(r.chance(0.1) ? { uniqueItems: true } : {}) },
        languages: { type: "array", items: { enum: ["js", "jsx", "ts", "tsx", "json"] }, uniqueItems: true, minItems: 1 }, tabWidth: { type: "integer", multipleOf: 2, minimum: 2, maximum: 8 } },
      additionalProperties: r.chance(0.5) ? false : { type: "string" }, ...(r.chance(0.4) ? { dependencies: { extends: ["root"] } } : {}),
      // A root config extends nothing (every fourth variation).
      ...(i % 4 === 0 ? { if: { properties: { root: { const: true } }, required: ["root"] }, then: { properties: { extends: false } } } : {}),
    };
    return { schema, instances: [{ root: true, rules: { "no-var": "error", "a/b": { severity: 1 } } }, { root: false, extends: "base", rules: {} }, { root: true, extends: ["a"] }, { rules: { "no-var": "fatal" } }, { rules: { "No Var": 1 } }, { env: { node: true, Browser: true } }, { env: { node: "yes" } }, { root: 1 }, { other: "x" }, { rules: { x: { severity: "warn", extra: 1 } } },
      { languages: ["ts", "tsx"], tabWidth: 4 }, { languages: ["ts", "ts"] }, { languages: [] }, { languages: ["ts", "go"] }, { tabWidth: 3 }, { tabWidth: 10 }, { root: true, extends: "base" }] };
  },
};

/** The generated corpus: every family × 48 variations (336 schemas). */
export const REAL_WORLD: readonly RealWorldEntry[] = Object.entries(templates).flatMap(([family, make], k) =>
  Array.from({ length: 48 }, (_, i) => {
    const { schema, instances } = make(rng(1000 * k + i + 1), i);
    return { name: `${family}-${i}`, family, schema: JSON.parse(JSON.stringify(schema)) as Record<string, unknown>, instances: JSON.parse(JSON.stringify(instances.filter((x) => x !== undefined))) as unknown[] };
  }));
