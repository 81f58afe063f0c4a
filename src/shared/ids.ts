import * as z from "./schema";

/**
 * A user id as it appears in a path. Auth issues UUIDs; the looser pattern
 * keeps ids safe to put in DynamoDB keys, URLs and log lines without escaping.
 */
export const userIdSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 characters of letters, digits, '-' or '_'"));
