/** Seeded draws for the generators: everything random in the corpus comes from one faker instance per locale. */
import type { Faker } from "@faker-js/faker";

/** Small helpers over a seeded faker, so generators read as what they draw. */
export class Draw {
  constructor(readonly faker: Faker) {}

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return this.faker.number.int({ min, max });
  }

  /** One element. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.faker.number.float({ min: 0, max: 1 }) < p;
  }

  /** `n` characters of `alphabet`. */
  chars(alphabet: string, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }

  /** `n` decimal digits. */
  digits(n: number): string {
    return this.chars("0123456789", n);
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(0, 255);
    return out;
  }
}

/** Upper-case letters. */
export const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Lower-case letters. */
export const LOWER = "abcdefghijklmnopqrstuvwxyz";
/** Decimal digits. */
export const DIGITS = "0123456789";
/** Letters and digits. */
export const ALNUM = UPPER + LOWER + DIGITS;
/** Lower-case hexadecimal. */
export const HEX = "0123456789abcdef";
