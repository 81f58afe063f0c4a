import * as z from "../shared/schema";

/**
 * How long login and the authorizer cache the signing keys: a rotated key
 * signs new tokens, and a key rotated out stops being accepted, within this
 * time. Unset, 300 s, the template's default.
 */
export const signingKeyMaxAge = z._default(z.coerce.number().check(z.int(), z.positive()), 300);
