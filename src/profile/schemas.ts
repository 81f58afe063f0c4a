import { ValidationError } from "../shared/errors";
import * as z from "../shared/schema";

export { userIdSchema } from "../shared/ids";

const DISPLAY_NAME_MAX = 64;
const BIO_MAX = 500;

export const putProfileBody = z.strictObject({
  displayName: z.string().check(z.trim(), z.minLength(1, "must not be blank"), z.maxLength(DISPLAY_NAME_MAX)),
  // null is accepted so a client can send back what GET returned.
  bio: z.optional(z.nullable(z.string().check(z.maxLength(BIO_MAX)))),
});

/**
 * `If-Match: 3` or `If-Match: "3"` (the ETag we send). Anything else, `*`
 * included, is rejected: `*` would let a client overwrite a version it never
 * saw, which is the lost update this header exists to prevent.
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*(?:"(\d{1,15})"|(\d{1,15}))\s*$/.exec(header);
  const digits = match?.[1] ?? match?.[2];
  const version = digits === undefined ? Number.NaN : Number(digits);
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new ValidationError('If-Match must be a profile version such as 3 or "3"', "INVALID_IF_MATCH");
  }
  return version;
}

export function etag(version: number): string {
  return `"${version}"`;
}
