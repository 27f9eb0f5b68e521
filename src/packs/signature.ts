/** Ed25519 signatures over a pack manifest: a detached compact JWS (`alg: EdDSA`) made and checked with jose. */
import { base64url, calculateJwkThumbprint, CompactSign, compactVerify, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";

/** A public key rsk trusts to sign packs, with its id (the RFC 7638 thumbprint, put in the JWS `kid`). */
export interface TrustedKey {
  /** RFC 7638 JWK thumbprint. */
  readonly kid: string;
  /** The public JWK (kty OKP, crv Ed25519). */
  readonly jwk: JWK;
}

/** A fresh Ed25519 key pair as JWKs, and its key id. */
export async function generatePackKeys(): Promise<{ privateJwk: JWK; publicJwk: JWK; kid: string }> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { privateJwk: { ...(await exportJWK(privateKey)), kid }, publicJwk: { ...publicJwk, kid }, kid };
}

/** Reads a trusted public key from JWK text; refuses anything but an Ed25519 public key. */
export async function trustedKey(text: string, origin: string): Promise<TrustedKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch (err) {
    throw new Error(`pack key ${origin}: not JSON: ${(err as Error).message}`);
  }
  if (jwk?.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") throw new Error(`pack key ${origin}: not an Ed25519 JWK (kty OKP, crv Ed25519, x)`);
  if (jwk.d !== undefined) throw new Error(`pack key ${origin}: holds a private key; trust the .public.jwk file instead`);
  const publicJwk: JWK = { kty: "OKP", crv: "Ed25519", x: jwk.x };
  return { kid: await calculateJwkThumbprint(publicJwk), jwk: publicJwk };
}

/** Signs manifest bytes with a private JWK; returns the detached compact JWS (`header..signature`). */
export async function signManifest(manifest: Uint8Array, privateJwk: JWK): Promise<string> {
  if (privateJwk?.kty !== "OKP" || privateJwk.crv !== "Ed25519" || typeof privateJwk.d !== "string") throw new Error("the signing key is not an Ed25519 private JWK");
  const { d: _d, ...pub } = privateJwk;
  const kid = await calculateJwkThumbprint({ kty: "OKP", crv: "Ed25519", x: pub.x! });
  const key = await importJWK(privateJwk, "EdDSA");
  const jws = await new CompactSign(manifest).setProtectedHeader({ alg: "EdDSA", kid, typ: "rsk-pack+jws" }).sign(key);
  const [header, , signature] = jws.split(".");
  return `${header}..${signature}`;
}

/**
 * Checks a detached JWS over manifest bytes against the trusted keys; returns the signer's kid.
 * Throws an Error saying why (malformed, signed by an untrusted key, or not verifying: tampered or forged).
 */
export async function verifyManifest(manifest: Uint8Array, jws: string, trusted: readonly TrustedKey[]): Promise<string> {
  const parts = jws.trim().split(".");
  if (parts.length !== 3 || parts[1] !== "") throw new Error("the signature is not a detached compact JWS (header..signature)");
  let header: { alg?: unknown; kid?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(base64url.decode(parts[0]!))) as typeof header;
  } catch {
    throw new Error("the signature's header is not base64url JSON");
  }
  if (header.alg !== "EdDSA") throw new Error(`the signature's alg is ${JSON.stringify(header.alg)}, not EdDSA`);
  const candidates = trusted.filter((k) => k.kid === header.kid);
  if (candidates.length === 0) throw new Error(`signed by key ${JSON.stringify(header.kid)}, which is not among the ${trusted.length} trusted pack keys`);
  const compact = `${parts[0]}.${base64url.encode(manifest)}.${parts[2]}`;
  for (const k of candidates) {
    try {
      await compactVerify(compact, await importJWK(k.jwk, "EdDSA"), { algorithms: ["EdDSA"] });
      return k.kid;
    } catch {
      // try the next key with this kid (none, unless keys were listed twice)
    }
  }
  throw new Error(`the signature does not verify against trusted key ${header.kid as string}: the manifest changed after signing, or another key signed it`);
}
