/** Which OTEL_* settings turn traces on, that nothing of the SDK loads without them, and the W3C header codec. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { startTracing, tracesUrl } from "../../src/obs/otel.ts";
import { parseTraceparent } from "../../src/obs/trace.ts";

describe("OTEL_* settings", () => {
  const cases: [string, Record<string, string>, string | undefined][] = [
    ["nothing set", {}, undefined],
    ["the general endpoint: /v1/traces appended", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }, "http://collector:4318/v1/traces"],
    ["the traces endpoint: as given, and it wins", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://b/otlp/traces" }, "https://b/otlp/traces"],
    ["OTEL_SDK_DISABLED=true", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_SDK_DISABLED: "TRUE" }, undefined],
    ["OTEL_TRACES_EXPORTER=none", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_TRACES_EXPORTER: "none" }, undefined],
    ["OTEL_TRACES_EXPORTER=console (not supported)", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_TRACES_EXPORTER: "console" }, undefined],
    ["empty values are unset", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_TRACES_EXPORTER: "", OTEL_SDK_DISABLED: "" }, "http://a:4318/v1/traces"],
  ];
  for (const [name, env, url] of cases) test(name, () => assert.equal(tracesUrl(env), url));

  test("an endpoint that is no http(s) URL is a start-up error naming the variable", () => {
    assert.throws(() => tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }), /OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318": must be an http\(s\) URL/);
    assert.throws(() => tracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "grpc://x" }), /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT/);
  });

  test("without them no SDK module is loaded and no provider registered", async () => {
    let loaded = 0;
    const notes: string[] = [];
    const load = () => {
      loaded++;
      return Promise.reject(new Error("must not load"));
    };
    for (const env of [{}, { OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318" }, { OTEL_TRACES_EXPORTER: "console", OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318" }]) {
      assert.equal(await startTracing(env, { version: "0", log: (m) => notes.push(m), load }), undefined);
    }
    assert.equal(loaded, 0);
    assert.deepEqual(notes, ["rsk: OTEL_TRACES_EXPORTER=console: rsk exports traces with otlp only (or none); no traces"]);
  });
});

describe("traceparent", () => {
  const id = "4bf92f3577b34da6a3ce929d0e0e4736", span = "00f067aa0ba902b7";
  test("a well-formed one names a sampled remote parent, with its tracestate", () => {
    const c = parseTraceparent(`00-${id}-${span}-01`, "vendor=x")!;
    assert.deepEqual([c.traceId, c.spanId, c.traceFlags, c.isRemote, c.traceState?.get("vendor")], [id, span, 1, true, "x"]);
    assert.equal(parseTraceparent(`00-${id}-${span}-00`)!.traceFlags, 0);
    assert.equal(parseTraceparent(`01-${id}-${span}-01-later-fields`)!.traceId, id, "a later version may append fields");
  });
  for (const bad of [undefined, "", `00-${id}-${span}`, `00-${id.toUpperCase()}-${span}-01`, `00-${"0".repeat(32)}-${span}-01`, `00-${id}-${"0".repeat(16)}-01`,
    `ff-${id}-${span}-01`, `00-${id}-${span}-01-x`, `00-${id}-${span}-1`, `00-${id}-${span}-01${" ".repeat(600)}`]) {
    test(`malformed: ${JSON.stringify(bad)?.slice(0, 40)}`, () => assert.equal(parseTraceparent(bad), undefined));
  }
});
