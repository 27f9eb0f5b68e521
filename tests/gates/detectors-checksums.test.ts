/** Check digits of the national-ID and wallet validators, and the hand-written hashes, against published vectors. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { keccak256, sha256 } from "../../src/gates/pii/hashes.ts";
import { luhn, verhoeff } from "../../src/gates/pii/checksums.ts";
import * as ids from "../../src/gates/pii/id-validators.ts";
import { isBase58Address, isBech32Address, isEthAddress } from "../../src/gates/pii/wallet-validators.ts";
import { isKeywordSecret, isProviderKey, isUrlWithCredentials } from "../../src/gates/pii/secret-validators.ts";

const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Every single-digit change of a valid value (one digit replaced by each other digit) that the validator accepts. */
function acceptedTypos(value: string, valid: (s: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i++) {
    if (!/[0-9]/.test(value[i]!)) continue;
    for (let d = 0; d <= 9; d++) {
      const typo = value.slice(0, i) + d + value.slice(i + 1);
      if (typo !== value && valid(typo)) out.push(typo);
    }
  }
  return out;
}

describe("hashes", () => {
  test("SHA-256 matches FIPS 180-4 vectors, across block boundaries", () => {
    assert.equal(hex(sha256(utf8(""))), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert.equal(hex(sha256(utf8("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert.equal(hex(sha256(utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });

  test("Keccak-256 (Ethereum's padding, not SHA3-256) matches known digests", () => {
    assert.equal(hex(keccak256(utf8(""))), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    assert.equal(hex(keccak256(utf8("abc"))), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    assert.equal(hex(keccak256(utf8("a".repeat(200)))).length, 64);
  });
});

describe("check digits", () => {
  test("Luhn and Verhoeff catch every single-digit typo", () => {
    assert.ok(luhn("130692544") && verhoeff("234123412346"));
    assert.deepEqual(acceptedTypos("130692544", luhn), []);
    assert.deepEqual(acceptedTypos("234123412346", verhoeff), []);
  });

  test("ID validators reject every single-digit typo of a valid value", () => {
    const cases: [string, (s: string) => boolean][] = [
      ["130-692-544", ids.isCaSin], ["2341 2341 2346", ids.isInAadhaar], ["529.982.247-25", ids.isBrCpf],
      ["11.222.333/0001-81", ids.isBrCnpj], ["1 84 12 76 451 089 46", ids.isFrNir], ["86095742719", ids.isDeTaxId],
      ["12345678Z", ids.isEsDni], ["X1234567L", ids.isEsNie],
    ];
    for (const [value, valid] of cases) {
      assert.ok(valid(value), value);
      assert.deepEqual(acceptedTypos(value, valid), [], value);
    }
  });

  test("allocation rules: unused NINO prefixes, SIN first digits, repeated digits, NIR months, tax-ID digit counts", () => {
    assert.ok(ids.isUkNino("AB123456C") && !ids.isUkNino("GB123456C") && !ids.isUkNino("NK123456C"));
    assert.ok(!ids.isCaSin("046-454-286") && !ids.isCaSin("800-000-008"));
    assert.ok(!ids.isBrCpf("111.111.111-11") && !ids.isBrCnpj("00.000.000/0000-00"));
    assert.ok(ids.isFrNir("185022A00401222") && !ids.isFrNir("1 84 15 76 451 089 46"));
    assert.ok(!ids.isDeTaxId("12345678903"), "ten different digits: not issued");
    assert.ok(ids.isItCodiceFiscale("RSSMRA85T10A562S") && !ids.isItCodiceFiscale("RSSMRA85T10A562T"));
  });
});

describe("wallets", () => {
  test("base58check: P2PKH and P2SH pass, one changed character fails", () => {
    assert.ok(isBase58Address("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2") && isBase58Address("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"));
    assert.ok(!isBase58Address("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3") && !isBase58Address("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN"));
  });

  test("bech32 for witness v0, bech32m for v1 (BIP 350): the wrong constant fails", () => {
    assert.ok(isBech32Address("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"));
    assert.ok(isBech32Address("bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"));
    assert.ok(isBech32Address("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"));
    // BIP 350's invalid vectors: v1 program with a bech32 (not bech32m) checksum; mixed case.
    assert.ok(!isBech32Address("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd"));
    assert.ok(!isBech32Address("bc1Qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"));
  });

  test("EIP-55: the published mixed-case vectors pass, one flipped case fails", () => {
    for (const a of ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
      "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]) {
      assert.ok(isEthAddress(a), a);
      const i = a.search(/[a-fA-F][0-9]*$/), c = a[i]!;
      const flipped = a.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + a.slice(i + 1);
      assert.ok(!isEthAddress(flipped), flipped);
    }
  });
});

describe("secret plausibility", () => {
  test("provider keys need their length and a random body; keyword secrets need entropy", () => {
    assert.ok(isProviderKey("sk_test_4eC39HqLyjWDarjtT1zdp7dc") && !isProviderKey("sk_live_aaaaaaaaaaaaaaaaaaaaaaaa"));
    assert.ok(!isProviderKey("sk-this-is-not-a-real-key-at-all-ok-right"));
    assert.ok(isKeywordSecret("token: 9f8e7d6c5b4a3f2e1d0c") && !isKeywordSecret("token: aaaaaaaaaaaaaaaaaaaa"));
    assert.ok(isUrlWithCredentials("https://u:Xy7pq2@h") && !isUrlWithCredentials("https://u:${PASSWORD}@h"));
  });
});
