import { createHmac } from "node:crypto";
import type { SigningKey } from "./ports";

/** HS256 keys shorter than the hash output weaken the MAC (RFC 7518 section 3.2). */
export const MIN_KEY_BYTES = 32;

// A MAC of a fixed label under the key, not a hash of the key itself, so the
// id in every token's header says nothing about the key but names it stably.
const KEY_ID_LABEL = "meridian/token-signing-key-id/v1";
const KEY_ID_HEX_CHARS = 16;

export function signingKeyFrom(key: Uint8Array): SigningKey {
  const id = createHmac("sha256", key).update(KEY_ID_LABEL).digest("hex").slice(0, KEY_ID_HEX_CHARS);
  return { id, key };
}
