/** Crypto wallet addresses with valid checksums: Bitcoin base58check and bech32, Ethereum EIP-55. */
import { createHash } from "node:crypto";
import { keccak256 } from "./keccak.ts";
import type { Generated } from "./ids.ts";
import { type Draw, HEX } from "./random.ts";

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(b).digest());

function base58(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let s = "";
  while (n > 0n) {
    s = BASE58[Number(n % 58n)] + s;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    s = "1" + s;
  }
  return s;
}

/** Legacy address: version byte + 20-byte hash + 4 bytes of double SHA-256. */
function base58check(version: number, payload: Uint8Array): string {
  const body = new Uint8Array([version, ...payload]);
  return base58(new Uint8Array([...body, ...sha256(sha256(body)).slice(0, 4)]));
}

function bech32Polymod(values: number[]): number {
  const gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= gen[i]!;
  }
  return chk >>> 0;
}

/** Segwit address (BIP 173 bech32 for v0, BIP 350 bech32m for v1). */
function segwit(version: 0 | 1, program: Uint8Array): string {
  const data: number[] = [version];
  let acc = 0, bits = 0;
  for (const b of program) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) data.push((acc >> (bits -= 5)) & 31);
  }
  if (bits > 0) data.push((acc << (5 - bits)) & 31);
  const hrp = "bc";
  const expanded = [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31)];
  const constant = version === 0 ? 1 : 0x2bc830a3;
  const mod = bech32Polymod([...expanded, ...data, 0, 0, 0, 0, 0, 0]) ^ constant;
  const checksum = Array.from({ length: 6 }, (_, i) => (mod >>> (5 * (5 - i))) & 31);
  return hrp + "1" + [...data, ...checksum].map((v) => BECH32[v]).join("");
}

/** Ethereum address with the EIP-55 mixed-case checksum (keccak-256 of the lower-case hex). */
function eip55(d: Draw): string {
  const hex = d.chars(HEX, 40);
  const hash = keccak256(new TextEncoder().encode(hex));
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 15;
    out += nibble >= 8 ? hex[i]!.toUpperCase() : hex[i];
  }
  return out;
}

/** One wallet address of a random kind. */
export function cryptoWallet(d: Draw): Generated {
  switch (d.pick(["p2pkh", "p2sh", "bech32", "bech32m", "eth", "eth"])) {
    case "p2pkh": return { value: base58check(0x00, d.bytes(20)), kind: "btc-p2pkh" };
    case "p2sh": return { value: base58check(0x05, d.bytes(20)), kind: "btc-p2sh" };
    case "bech32": return { value: segwit(0, d.bytes(20)), kind: "btc-bech32" };
    case "bech32m": return { value: segwit(1, d.bytes(32)), kind: "btc-bech32m" };
    default: return { value: eip55(d), kind: "eth" };
  }
}
