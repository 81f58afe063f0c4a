import * as z from "../shared/schema";
import { passwordLength } from "./domain/password-rules";

export const username = z
  .string()
  .check(z.regex(/^[a-z0-9_-]{3,32}$/, "must be 3-32 characters of lowercase letters, digits, '_' or '-'"));

// The registration rules are in register-schema.ts, so only Register's bundle
// carries the common-password list. Login does not enforce them: a password that
// could never have been registered is simply wrong (401), and the upper bound
// only caps the work a request can cause. Characters are counted after
// normalisation, as the hash sees the password, so every registrable one fits.
export const loginRequestSchema = z.strictObject({
  username,
  password: z.string().check(
    z.minLength(1, "is required"),
    z.refine((value) => passwordLength(value) <= 128, "must be at most 128 characters"),
  ),
});
