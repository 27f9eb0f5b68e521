/**
 * Ports of kernels/src/math.c: the same IEEE double operations in the same order, so the TS reference
 * reproduces the C kernels' exp, log and Philox draws bit for bit (no FMA in JS, none in the C build).
 */

const bits = new DataView(new ArrayBuffer(8));

/** 2^k for an integer k with a normal result (the exponent field written directly, as C does). */
function pow2(k: number): number {
  bits.setUint32(0, 0, true);
  bits.setUint32(4, (k + 1023) * 1048576, true);
  return bits.getFloat64(0, true);
}

const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.442695040888963387;

/** rsk_exp: Cody–Waite reduction and a degree-13 Taylor polynomial. */
export function exp(x: number): number {
  if (x !== x) return x;
  if (x > 709.782712893384) return Infinity;
  if (x < -745.1332191019412) return 0;
  const shift = 6755399441055744.0;
  const k = x * INV_LN2 + shift - shift;
  const r = x - k * LN2_HI - k * LN2_LO;
  let p = 1 / 6227020800;
  p = p * r + 1 / 479001600;
  p = p * r + 1 / 39916800;
  p = p * r + 1 / 3628800;
  p = p * r + 1 / 362880;
  p = p * r + 1 / 40320;
  p = p * r + 1 / 5040;
  p = p * r + 1 / 720;
  p = p * r + 1 / 120;
  p = p * r + 1 / 24;
  p = p * r + 1 / 6;
  p = p * r + 0.5;
  p = p * r + 1;
  p = p * r + 1;
  if (k < -1021) return p * pow2(k + 64) * pow2(-64);
  if (k > 1023) return p * 2 * pow2(k - 1);
  return p * pow2(k);
}

/** rsk_log: mantissa in [sqrt(1/2), sqrt(2)) and an odd atanh series. */
export function log(x: number): number {
  if (x !== x || x < 0) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return x;
  let e = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984.0;
    e = -54;
  }
  bits.setFloat64(0, x, true);
  const hi = bits.getUint32(4, true);
  e += ((hi >>> 20) & 0x7ff) - 1023;
  bits.setUint32(4, (hi & 0x000fffff) | 0x3ff00000, true);
  let m = bits.getFloat64(0, true);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  }
  const f = (m - 1) / (m + 1);
  const f2 = f * f;
  let s = 1 / 23;
  for (const d of [21, 19, 17, 15, 13, 11, 9, 7, 5, 3]) s = s * f2 + 1 / d;
  s = s * f2 + 1;
  return e * LN2_HI + (e * LN2_LO + 2 * f * s);
}

/** High 32 bits of a 32x32-bit product, exact in doubles via 16-bit halves. */
function mulhi(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, lh = al * bh, hl = ah * bl;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) >>> 0;
}

/** Philox4x32-10 (Random123) block for counter `ctr` and key `key`. */
export function philox4x32(ctr: readonly number[], key: readonly number[]): [number, number, number, number] {
  let [c0, c1, c2, c3] = ctr as [number, number, number, number];
  let [k0, k1] = key as [number, number];
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + 0x9e3779b9) >>> 0;
      k1 = (k1 + 0xbb67ae85) >>> 0;
    }
    const hi0 = mulhi(0xd2511f53, c0), lo0 = Math.imul(0xd2511f53, c0) >>> 0;
    const hi1 = mulhi(0xcd9e8d57, c2), lo1 = Math.imul(0xcd9e8d57, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return [c0, c1, c2, c3];
}

/** rsk_u01: 53 random bits of Philox keyed by the seed halves, counter = step. */
export function uniform(seedLo: number, seedHi: number, step: number): number {
  const [a, b] = philox4x32([step % 4294967296, Math.floor(step / 4294967296), 0, 0], [seedLo, seedHi]);
  return ((a >>> 5) * 67108864 + (b >>> 6)) / 9007199254740992;
}
