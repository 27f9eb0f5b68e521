/** A policy's token rules (by text) resolved against one model's vocabulary, cached per rules object. */
import type { LlamaModel } from "../../../ffi/llama/model.ts";
import type { TokenRules } from "../../policy/schema.ts";

/** Token id (decimal string, like OpenAI's logit_bias keys) → bias; bans are -Infinity. */
export type TokenBias = Readonly<Record<string, number>>;

/** Resolves token texts with the model's own tokenizer (special tokens included); each text must be one token. */
export class TokenRuleResolver {
  readonly #cache = new WeakMap<TokenRules, TokenBias>();
  constructor(
    private readonly model: LlamaModel,
    /** Told once per rules object about texts that are not a single token of this model (they cannot apply). */
    private readonly onUnresolved: (texts: string[]) => void = () => {},
  ) {}

  /** The bias map for `rules` (bans win over biases). */
  resolve(rules: TokenRules): TokenBias {
    const cached = this.#cache.get(rules);
    if (cached) return cached;
    const bias: Record<string, number> = {};
    const unresolved: string[] = [];
    const idOf = (text: string) => {
      const ids = this.model.tokenize(text, { addSpecial: false, special: true });
      if (ids.length === 1) return String(ids[0]);
      unresolved.push(text);
    };
    for (const [text, value] of Object.entries(rules.bias)) {
      const id = idOf(text);
      if (id !== undefined) bias[id] = value <= -100 ? -Infinity : value;
    }
    for (const text of rules.ban) {
      const id = idOf(text);
      if (id !== undefined) bias[id] = -Infinity;
    }
    if (unresolved.length > 0) this.onUnresolved(unresolved);
    this.#cache.set(rules, bias);
    return bias;
  }
}

/** A request's logit_bias merged under the policy's: a request may add biases but never lift a policy ban. */
export function mergeBias(request: TokenBias, policy: TokenBias): TokenBias {
  const merged: Record<string, number> = { ...request };
  for (const [id, value] of Object.entries(policy)) merged[id] = value === -Infinity ? -Infinity : (merged[id] ?? 0) + value;
  return merged;
}
