import * as z from "../../shared/schema";
import type { LockoutPolicy, LoginAttemptWindow } from "./ports";

/** The shape of the lock-out policy document kept in SSM. */
export const lockoutPolicySchema = z.object({
  maxAttempts: z.number().check(z.int(), z.positive()),
  windowSeconds: z.number().check(z.int(), z.positive()),
});

export type AttemptDecision =
  | { kind: "allowed"; next: LoginAttemptWindow; expiresAt: number }
  | { kind: "locked"; retryAfterSeconds: number };

/**
 * Decides whether one more login attempt for a username is allowed, and what
 * the stored window becomes if it is. A window that has run out counts as no
 * window at all: the store may keep expired records (TTL deletion is lazy, and
 * the local store never does it), so expiry is decided here, not by the store.
 */
export function decideAttempt(
  current: LoginAttemptWindow | undefined,
  policy: LockoutPolicy,
  nowSeconds: number,
): AttemptDecision {
  const windowEndsAt = current ? current.windowStartedAt + policy.windowSeconds : 0;
  if (!current || windowEndsAt <= nowSeconds) {
    return {
      kind: "allowed",
      next: { attempts: 1, windowStartedAt: nowSeconds },
      expiresAt: nowSeconds + policy.windowSeconds,
    };
  }
  if (current.attempts >= policy.maxAttempts) {
    return { kind: "locked", retryAfterSeconds: windowEndsAt - nowSeconds };
  }
  return {
    kind: "allowed",
    next: { attempts: current.attempts + 1, windowStartedAt: current.windowStartedAt },
    expiresAt: windowEndsAt,
  };
}
