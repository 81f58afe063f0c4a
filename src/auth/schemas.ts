import * as z from "zod";

// Password length is in characters (code points), not UTF-16 units, so an
// emoji counts once, as a user would count it.
const characterCount = (value: string) => [...value].length;

const username = z
  .string()
  .regex(/^[a-z0-9_-]{3,32}$/, "must be 3-32 characters of lowercase letters, digits, '_' or '-'");

export const registerRequestSchema = z
  .object({
    username,
    password: z
      .string()
      .refine(
        (value) => characterCount(value) >= 12 && characterCount(value) <= 128,
        "must be 12-128 characters",
      ),
  })
  .strict();
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

// Login does not enforce the registration password rules: a password that
// could never have been registered is simply wrong (401), and the upper bound
// only caps the work a request can cause.
export const loginRequestSchema = z
  .object({
    username,
    password: z
      .string()
      .min(1, "is required")
      .refine((value) => characterCount(value) <= 128, "must be at most 128 characters"),
  })
  .strict();
export type LoginRequest = z.infer<typeof loginRequestSchema>;
