import * as z from "zod";
import { hasUnusableCharacters, isEasyToGuess, passwordLength } from "./domain/password-rules";
import { username } from "./schemas";

export const registerRequestSchema = z
  .object({
    username,
    // Characters are counted after normalisation, as the hash sees the password.
    password: z
      .string()
      .refine((value) => {
        const length = passwordLength(value);
        return length >= 12 && length <= 128;
      }, "must be 12-128 characters")
      .refine(
        (value) => !hasUnusableCharacters(value),
        "must not contain control characters or unpaired surrogates",
      )
      .refine(
        (value) => !isEasyToGuess(value),
        "is too easy to guess (a common password, a repeated pattern, or a run of digits, letters or keys)",
      ),
  })
  .strict();
export type RegisterRequest = z.infer<typeof registerRequestSchema>;
