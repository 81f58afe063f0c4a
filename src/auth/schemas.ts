import * as z from "zod";
import { passwordLength } from "./domain/password-rules";

export const username = z
  .string()
  .regex(/^[a-z0-9_-]{3,32}$/, "must be 3-32 characters of lowercase letters, digits, '_' or '-'");

// The registration rules are in register-schema.ts, so only Register's bundle
// carries the common-password list. Login does not enforce them: a password that
// could never have been registered is simply wrong (401), and the upper bound
// only caps the work a request can cause.
export const loginRequestSchema = z
  .object({
    username,
    password: z
      .string()
      .min(1, "is required")
      .refine((value) => passwordLength(value) <= 128, "must be at most 128 characters"),
  })
  .strict();
export type LoginRequest = z.infer<typeof loginRequestSchema>;
