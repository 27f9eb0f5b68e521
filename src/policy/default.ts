/** The shipped default policy, bundled with the code (a JSON import, so no host needs a file system for it). */
import policy from "../../policies/default.json" with { type: "json" };
import { BundledPolicies } from "./source.ts";

/** A fresh source serving `policies/default.json`. */
export function defaultPolicies(): BundledPolicies {
  return new BundledPolicies({ "default.json": policy });
}
