import * as z from "../shared/schema";
import { hasUnusableCharacters, isEasyToGuess, passwordLength } from "./domain/password-rules";
import { username } from "./schemas";

export const registerRequestSchema = z.strictObject({
  username,
  // Characters are counted after normalisation, as the hash sees the password.
  password: z.string().check(
    z.refine((value) => {
      const length = passwordLength(value);
      return length >= 12 && length <= 128;
    }, "must be 12-128 characters"),
    z.refine(
      (value) => !hasUnusableCharacters(value),
      "must not contain control characters or unpaired surrogates",
    ),
    z.refine(
      (value) => !isEasyToGuess(value),
      "is too easy to guess (a common password, a repeated pattern, or a run of digits, letters or keys)",
    ),
  ),
});
