/**
 * The GGUF metadata reader the local backend takes chat templates from: it agrees with @huggingface/gguf on every
 * fixture variant, and refuses hostile headers (lengths and counts beyond the file or the limits, deep arrays,
 * unknown types, bad UTF-8, truncation) with an error naming the file and the field.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gguf } from "@huggingface/gguf";
import { type ByteSource, GgufError, ggufStrings, readGgufStrings } from "../../src/backends/local/gguf-meta.ts";
import { TEMPLATE_KEYS } from "../../src/backends/local/tool-syntax.ts";
import { ensureFixtureModel, FIXTURE_TEMPLATE_VARIANTS, type FixtureVariant } from "../fixture/model.ts";

/** Little-endian GGUF bytes, written field by field so a test can lie in any of them. */
class HeaderBytes {
  readonly parts: number[] = [];
  u32(v: number): this {
    for (let i = 0; i < 4; i++) this.parts.push((v >>> (8 * i)) & 0xff);
    return this;
  }
  u64(v: number | bigint): this {
    const big = BigInt(v);
    for (let i = 0n; i < 8n; i++) this.parts.push(Number((big >> (8n * i)) & 0xffn));
    return this;
  }
  raw(bytes: Iterable<number>): this {
    this.parts.push(...bytes);
    return this;
  }
  string(s: string): this {
    const bytes = new TextEncoder().encode(s);
    return this.u64(bytes.length).raw(bytes);
  }
  /** Magic, version 3, no tensors, `keys` key/value pairs. */
  static header(keys: number | bigint, version = 3): HeaderBytes {
    return new HeaderBytes().u32(0x46554747).u32(version).u64(0).u64(keys);
  }
  source(): ByteSource {
    const bytes = Uint8Array.from(this.parts);
    return {
      size: bytes.length,
      read: (into, offset) => {
        const part = bytes.subarray(offset, offset + into.length);
        into.set(part);
        return part.length;
      },
    };
  }
}

const TEMPLATE = "tokenizer.chat_template";
const STRING = 8, ARRAY = 9, U32 = 4;

const refused = (bytes: HeaderBytes, pattern: RegExp) =>
  assert.throws(() => ggufStrings(bytes.source(), [TEMPLATE], "hostile.gguf"), (err: unknown) => {
    assert.ok(err instanceof GgufError, String(err));
    assert.match(err.message, /^hostile\.gguf: /);
    assert.match(err.message, pattern);
    return true;
  });

describe("GGUF metadata reader", () => {
  test("reads every fixture variant's templates as @huggingface/gguf does", { timeout: 120_000 }, async () => {
    for (const variant of Object.keys(FIXTURE_TEMPLATE_VARIANTS) as FixtureVariant[]) {
      const path = await ensureFixtureModel(variant);
      const ours = readGgufStrings(path, TEMPLATE_KEYS);
      const { metadata } = await gguf(path, { allowLocalFile: true });
      const theirs = new Map(TEMPLATE_KEYS.flatMap((key) => (key in metadata ? [[key, (metadata as Record<string, unknown>)[key]]] : [])));
      assert.deepEqual(ours, theirs, variant);
      assert.deepEqual(Object.fromEntries(ours), FIXTURE_TEMPLATE_VARIANTS[variant], variant);
    }
  });

  test("skips values of every type before the key it wants", () => {
    const bytes = HeaderBytes.header(5)
      .string("a.u8").u32(0).raw([7])
      .string("a.f64").u32(12).raw(new Uint8Array(8))
      .string("a.strings").u32(ARRAY).u32(STRING).u64(2).string("x").string("yz")
      .string("a.nested").u32(ARRAY).u32(ARRAY).u64(1).u32(U32).u64(2).u32(1).u32(2)
      .string(TEMPLATE).u32(STRING).string("{{ messages }}");
    assert.deepEqual(ggufStrings(bytes.source(), [TEMPLATE]), new Map([[TEMPLATE, "{{ messages }}"]]));
  });

  test("a wanted key of another type, or an absent one, is absent from the answer", () => {
    const bytes = HeaderBytes.header(1).string(TEMPLATE).u32(U32).u32(1);
    assert.deepEqual(ggufStrings(bytes.source(), [TEMPLATE]), new Map());
  });

  test("refuses what is not GGUF v2/v3", () => {
    refused(new HeaderBytes().u32(0x12345678).u32(3).u64(0).u64(0), /not a GGUF file/);
    refused(HeaderBytes.header(0, 1), /version 1 is not supported/);
    refused(HeaderBytes.header(0, 0x03000000), /version 50331648 is not supported/);
  });

  test("refuses counts and lengths beyond the limits or the file", () => {
    refused(HeaderBytes.header(1n << 40n), /metadata keys \(at most 65536\)/);
    refused(HeaderBytes.header(1n << 62n), /beyond any file size/);
    refused(HeaderBytes.header(1).u64(70_000), /metadata key 0 of 70000 bytes \(at most 65535\)/);
    refused(HeaderBytes.header(1).string("k").u32(STRING).u64(1n << 40n), /a string in "k" of 1099511627776 bytes/);
    refused(HeaderBytes.header(1).string("k").u32(ARRAY).u32(STRING).u64(1n << 40n), /array "k" declares 1099511627776 elements/);
    refused(HeaderBytes.header(1).string("k").u32(ARRAY).u32(U32).u64(10).raw(new Uint8Array(12)), /the file ends inside its metadata/);
    refused(HeaderBytes.header(1).string(TEMPLATE).u32(STRING).u64((1 << 20) + 1), /"tokenizer.chat_template" of 1048577 bytes \(at most 1048576\)/);
  });

  test("refuses deep arrays, unknown types, bad UTF-8 and a header cut short", () => {
    refused(HeaderBytes.header(1).string("k").u32(ARRAY).u32(ARRAY).u64(1).u32(ARRAY).u64(1).u32(ARRAY).u64(1), /nests arrays deeper than 2/);
    refused(HeaderBytes.header(1).string("k").u32(13), /"k" has unknown value type 13/);
    refused(HeaderBytes.header(1).string(TEMPLATE).u32(STRING).u64(2).raw([0xc3, 0x28]), /"tokenizer.chat_template" is not UTF-8/);
    refused(HeaderBytes.header(1).u64(2).raw([0xff, 0xfe]).u32(U32).u32(0), /metadata key 0 is not UTF-8/);
    refused(HeaderBytes.header(2).string("k").u32(U32).u32(1), /the file ends inside its metadata/);
  });

  test("bounds the array elements one scan visits", () => {
    const bytes = HeaderBytes.header(1).string("k").u32(ARRAY).u32(0).u64(64).raw(new Uint8Array(64));
    assert.throws(() => ggufStrings(bytes.source(), [TEMPLATE], "hostile.gguf", { maxKeys: 8, maxKeyBytes: 64, maxValueBytes: 64, maxElements: 10 }), /more than 10 elements/);
  });
});
