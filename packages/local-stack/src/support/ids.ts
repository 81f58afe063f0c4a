import { createHash } from "node:crypto";

/** Ids hashed from names, so a resource's id is the same on every start with no state. */

export const ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyz0123456789";
export const MIXED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export const UPPER_ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

export function hashedId(seed: string, length: number, alphabet: string): string {
  const digest = createHash("sha256").update(seed).digest();
  let out = "";
  for (let index = 0; index < length; index++) out += alphabet[(digest[index] ?? 0) % alphabet.length];
  return out;
}
