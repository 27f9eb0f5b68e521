/**
 * The sampling chain in plain TypeScript: the specification the C kernels are tested against. It applies
 * every stage to the whole candidate list with full sorts (clear, slow); the C code reaches the same result
 * by partial selection. Status codes and their order of checks mirror kernels/src/sample.c.
 */
import { io } from "../kernels.ts";
import { exp, log, uniform } from "./math.ts";

const LN2 = 0.6931471805599453;

/** Candidates: ids ascending with their logits. */
interface Candidates {
  ids: number[];
  values: number[];
}

/** Result of one reference step: a status, or the drawn index plus the final distribution. */
export type ReferenceOutcome =
  | { readonly status: number }
  | { readonly status: 0; readonly ids: number[]; readonly probs: number[]; readonly pick: number; readonly muNext: number; readonly u: number };

const isU32 = (x: number, max: number): boolean => Number.isInteger(x) && x >= 0 && x <= max;
const finite = (x: number): boolean => x - x === 0;

/** Σ values in the kernels' blocked order (sample.c's sum4): four running sums over i mod 4, then (s0 + s1) + (s2 + s3). */
export function sum4(values: readonly number[]): number {
  const n = values.length;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
  for (; i + 4 <= n; i += 4) s0 += values[i]!, s1 += values[i + 1]!, s2 += values[i + 2]!, s3 += values[i + 3]!;
  if (i < n) s0 += values[i++]!;
  if (i < n) s1 += values[i++]!;
  if (i < n) s2 += values[i]!;
  return (s0 + s1) + (s2 + s3);
}

function softmax(values: readonly number[]): { probs: number[]; max: number; sum: number } {
  let max = values[0]!;
  for (const v of values) if (v > max) max = v;
  const probs = values.map((v) => exp(v - max));
  const sum = sum4(probs), inv = 1 / sum;
  for (let i = 0; i < probs.length; i++) probs[i]! *= inv;
  return { probs, max, sum };
}

/** Keeps the entries at `order[0..kept)`, back in ascending id order. */
function keepOrdered(c: Candidates, order: number[], kept: number): Candidates {
  const chosen = order.slice(0, kept).sort((a, b) => a - b);
  return { ids: chosen.map((i) => c.ids[i]!), values: chosen.map((i) => c.values[i]!) };
}

function byValue(c: Candidates): number[] {
  return c.ids.map((_, i) => i).sort((a, b) => c.values[b]! - c.values[a]! || c.ids[a]! - c.ids[b]!);
}

function keepTop(c: Candidates, k: number): Candidates {
  return k >= c.ids.length ? c : keepOrdered(c, byValue(c), k);
}

function cumulativeCut(probs: readonly number[], order: readonly number[], p: number, minKeep: number, strict: boolean): number {
  let cum = 0;
  for (let i = 0; i < order.length; i++) {
    cum += probs[order[i]!]!;
    if ((strict ? cum > p : cum >= p) && i + 1 >= minKeep) return i + 1;
  }
  return order.length;
}

function topP(c: Candidates, p: number, minKeep: number): Candidates {
  const { probs } = softmax(c.values);
  const order = byValue(c);
  return keepOrdered(c, order, cumulativeCut(probs, order, p, minKeep, false));
}

function typical(c: Candidates, p: number, minKeep: number): Candidates {
  const { probs } = softmax(c.values);
  let entropy = 0;
  for (const q of probs) if (q > 0) entropy -= q * log(q);
  const keys = probs.map((q) => Math.abs(-log(q) - entropy));
  const order = c.ids.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]! || c.ids[a]! - c.ids[b]!);
  return keepOrdered(c, order, cumulativeCut(probs, order, p, minKeep, true));
}

function keepAtLeast(c: Candidates, t: number, need: number): Candidates {
  const kept = c.values.filter((v) => v >= t).length;
  if (kept < need) return keepTop(c, need);
  const out: Candidates = { ids: [], values: [] };
  c.values.forEach((v, i) => {
    if (v >= t) out.ids.push(c.ids[i]!), out.values.push(v);
  });
  return out;
}

/** Inverse-CDF draw in ascending id order by blocks of 4, as sample.c's draw (same additions in the same order). */
function draw(probs: readonly number[], u: number): number {
  const n = probs.length;
  let cum = 0;
  for (let b = 0; b < n; b += 4) {
    const end = Math.min(b + 4, n);
    let block = 0;
    for (let i = b; i < end; i++) block += probs[i]!;
    if (u < cum + block) {
      let c = cum;
      for (let i = b; i < end; i++) {
        c += probs[i]!;
        if (u < c) return i;
      }
      for (let i = end - 1; i >= b; i--) if (probs[i]! > 0) return i;
    }
    cum += block;
  }
  for (let i = n - 1; i >= 0; i--) if (probs[i]! > 0) return i;
  return 0;
}

/** One reference sampling step; `p` is the io array layout of rsk_sample, `tokens` = recent then bias ids. */
export function referenceSample(
  logits: Float32Array, mask: Uint32Array | undefined, tokens: Int32Array, bias: Float32Array, p: Float64Array,
): ReferenceOutcome {
  const V = logits.length;
  if (V === 0 || V > 2 ** 24) return { status: -1 };
  const [temp, tk, topPv, minP, typP, rp, freq, pres] =
    [p[io.temperature]!, p[io.topK]!, p[io.topP]!, p[io.minP]!, p[io.typicalP]!, p[io.repeatPenalty]!, p[io.frequencyPenalty]!, p[io.presencePenalty]!];
  const [tau, eta, mu, step] = [p[io.tau]!, p[io.eta]!, p[io.mu]!, p[io.step]!];
  const T = tokens.length;
  if (!finite(temp) || !finite(topPv) || !finite(minP) || !finite(typP)) return { status: -3 };
  if (!finite(rp) || rp <= 0 || !finite(freq) || !finite(pres) || tk !== tk) return { status: -3 };
  if (tk > 0 && !isU32(tk, V)) return { status: -3 };
  const k = tk > 0 ? tk : 0, minKeep = p[io.minKeep]!, mirostat = p[io.mirostat]!, nRecent = p[io.nRecent]!;
  if (!isU32(minKeep, 2 ** 24) || !isU32(mirostat, 2) || mirostat === 1) return { status: -3 };
  if (mirostat && (!finite(tau) || !finite(eta) || !finite(mu))) return { status: -3 };
  if (!isU32(nRecent, T) || !isU32(p[io.seedLo]!, 4294967295) || !isU32(p[io.seedHi]!, 4294967295)) return { status: -3 };
  if (!isU32(p[io.isa]!, 4) || !(step >= 0 && step < 2 ** 53) || !Number.isInteger(step)) return { status: -3 };
  if (bias.length !== T - nRecent) return { status: -3 };

  // Patches: bias in list order, then llama.cpp penalties, per distinct token in ascending id order.
  const penalize = !(rp === 1 && freq === 0 && pres === 0);
  const entries: Array<[number, number]> = [];
  for (let j = penalize ? 0 : nRecent; j < T; j++) {
    const id = tokens[j]!;
    if (id < 0 || id >= V) return { status: -3 };
    if (j >= nRecent && !(bias[j - nRecent]! < Infinity)) return { status: -3 };
    entries.push([id, j]);
  }
  entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const patches = new Map<number, number>();
  for (let i = 0; i < entries.length; ) {
    const id = entries[i]![0];
    const raw = logits[id]!;
    if (!(raw < Infinity)) return { status: -2 };
    let v = raw, count = 0;
    for (; i < entries.length && entries[i]![0] === id; i++) {
      const j = entries[i]![1];
      if (j < nRecent) count++;
      else v += bias[j - nRecent]!;
    }
    if (count > 0) {
      v = v <= 0 ? v * rp : v / rp;
      v -= count * freq + pres;
    }
    if (v !== v || v === Infinity) return { status: -3 };
    patches.set(id, v);
  }
  for (let i = 0; i < V; i++) if (!(logits[i]! < Infinity)) return { status: -2 };

  const all: Candidates = { ids: [], values: [] };
  for (let i = 0; i < V; i++) {
    if (mask && !((mask[i >>> 5]! >>> (i & 31)) & 1)) continue;
    const v = patches.get(i) ?? logits[i]!;
    if (v > -Infinity) all.ids.push(i), all.values.push(v);
  }
  if (all.ids.length === 0) return { status: -4 };
  const u = uniform(p[io.seedLo]!, p[io.seedHi]!, step);

  if (temp <= 0) {
    const top = keepTop(all, 1);
    return { status: 0, ids: top.ids, probs: [1], pick: 0, muNext: mu, u };
  }
  if (mirostat === 2) {
    const scaled = { ids: all.ids, values: all.values.map((v) => v / temp) };
    if (!(scaled.values.reduce((m, v) => (v > m ? v : m), -Infinity) < Infinity)) return { status: -3 };
    const { max, sum } = softmax(scaled.values);
    const kept = keepAtLeast(scaled, max + log(sum) - mu * LN2, 1);
    const { probs } = softmax(kept.values);
    const pick = draw(probs, u);
    return { status: 0, ids: kept.ids, probs, pick, muNext: mu - eta * (-log(probs[pick]!) / LN2 - tau), u };
  }
  let c = k > 0 ? keepTop(all, k) : all;
  if (typP < 1) c = typical(c, typP, minKeep);
  if (topPv < 1) c = topP(c, topPv, minKeep);
  if (minP > 0) {
    let max = c.values[0]!;
    for (const v of c.values) if (v > max) max = v;
    c = keepAtLeast(c, max + log(minP), minKeep > 0 ? minKeep : 1);
  }
  const scaled = c.values.map((v) => v / temp);
  if (!(scaled.reduce((m, v) => (v > m ? v : m), -Infinity) < Infinity)) return { status: -3 };
  const { probs } = softmax(scaled);
  return { status: 0, ids: c.ids, probs, pick: draw(probs, u), muNext: mu, u };
}
