/** What a gateway request loads of the grammar engine, on first use (see `src/server/grammar-checks.ts`). */
export { requestConstraint, toolConstraints } from "./request.ts";
export { checkedAgainst } from "./stream.ts";
