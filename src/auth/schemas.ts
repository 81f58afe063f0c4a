import * as z from "../shared/schema";

// Password length is in characters (code points), not UTF-16 units, so an
// emoji counts once, as a user would count it.
const characterCount = (value: string) => [...value].length;

const username = z
  .string()
  .check(z.regex(/^[a-z0-9_-]{3,32}$/, "must be 3-32 characters of lowercase letters, digits, '_' or '-'"));

export const registerRequestSchema = z.strictObject({
  username,
  password: z
    .string()
    .check(
      z.refine(
        (value) => characterCount(value) >= 12 && characterCount(value) <= 128,
        "must be 12-128 characters",
      ),
    ),
});
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

// Login does not enforce the registration password rules: a password that
// could never have been registered is simply wrong (401), and the upper bound
// only caps the work a request can cause.
export const loginRequestSchema = z.strictObject({
  username,
  password: z.string().check(
    z.minLength(1, "is required"),
    z.refine((value) => characterCount(value) <= 128, "must be at most 128 characters"),
  ),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;
