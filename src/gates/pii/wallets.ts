/** Crypto wallet addresses: Bitcoin (base58check, bech32/bech32m) and Ethereum (EIP-55); checksums in wallet-validators.ts. */
import type { DetectorSpec } from "./detectors.ts";
import { EDGE, END } from "./edges.ts";
import { groupOf } from "./ids.ts";
import { isBase58Address, isBech32Address, isEthAddress } from "./wallet-validators.ts";

/** Names of the wallet detectors. */
export type WalletDetector = "btc_address" | "eth_address";

const BASE58 = "[1-9A-HJ-NP-Za-km-z]";
const BECH32 = "[02-9ac-hj-np-z]";

/** Wallet detector table. */
export const WALLET_DETECTORS: Readonly<Record<WalletDetector, DetectorSpec>> = {
  btc_address: {
    pattern: `${EDGE}(?:[13]${BASE58}{25,34}|bc1${BECH32}{8,87}|BC1${BECH32.toUpperCase()}{8,87})${END}`,
    maxLength: 90, placeholder: "[WALLET]",
    validate: (m) => m[0] === "b" || m[0] === "B" ? isBech32Address(m) : isBase58Address(m),
  },
  eth_address: { pattern: `${EDGE}0x[0-9A-Fa-f]{40}${END}`, maxLength: 42, placeholder: "[WALLET]", validate: isEthAddress },
};

/** Bitcoin and Ethereum addresses as one detector (one scanner in a policy). */
export const CRYPTO_WALLET: Readonly<Record<"crypto_wallet", DetectorSpec>> = {
  crypto_wallet: groupOf(WALLET_DETECTORS, "[WALLET]"),
};
