import { COMMON_PASSWORDS } from "./common-passwords";

/**
 * What a password is, as the hash sees it: NFKC, so the same password typed
 * through different input methods (composed or decomposed accents, full-width
 * digits) is one password. Every rule counts and compares this form, so what
 * registers is exactly what logs in.
 */
export function normalisePassword(password: string): string {
  return password.normalize("NFKC");
}

/** Length in characters (code points) after normalisation: an emoji counts once, as a user counts it. */
export function passwordLength(password: string): number {
  return [...normalisePassword(password)].length;
}

// With the u flag a lone surrogate is a code point of category Cs; a paired one is not.
const UNUSABLE = /[\p{Cc}\p{Cs}]/u;

/**
 * Control characters cannot be typed reliably and are often dropped on the
 * way; an unpaired surrogate becomes U+FFFD when the password is encoded, so
 * many different passwords would hash alike.
 */
export function hasUnusableCharacters(password: string): boolean {
  return UNUSABLE.test(password) || UNUSABLE.test(normalisePassword(password));
}

// Runs people type as passwords, each also read backwards and wrapping around.
const RUNS = ["0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm"];

function isRun(password: string): boolean {
  return RUNS.some((run) => {
    const cycle = run.repeat(Math.ceil(password.length / run.length) + 1);
    return cycle.includes(password) || [...cycle].reverse().join("").includes(password);
  });
}

/**
 * A common password (zxcvbn-ts's list), one unit repeated ("            ",
 * "abcabcabcabc", "passwordpassword"), or a run of digits, letters or a
 * keyboard row ("123456789012"): the guesses an attacker makes first.
 */
export function isEasyToGuess(password: string): boolean {
  const folded = normalisePassword(password).toLowerCase();
  return COMMON_PASSWORDS.has(folded) || /^(.+?)\1+$/su.test(folded) || isRun(folded);
}
