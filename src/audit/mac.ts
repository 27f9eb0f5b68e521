/** The audit chain's HMAC-SHA256, synchronous (node:crypto): for the file log and `rsk audit verify` on servers. */
import { createHmac } from "node:crypto";
import { type AuditRecord, macInput, sealedLine } from "./record.ts";

/** HMAC-SHA256 of the previous MAC and a record body. */
export function macOf(key: string, prevMac: string, body: string): string {
  return createHmac("sha256", key).update(macInput(prevMac, body)).digest("hex");
}

/** One line (without newline) for `record`, chained to `prevMac`; returns the line and its MAC. */
export function sealRecord(key: string, prevMac: string, record: AuditRecord): { line: string; mac: string } {
  const body = JSON.stringify(record);
  const mac = macOf(key, prevMac, body);
  return { line: sealedLine(body, mac), mac };
}
