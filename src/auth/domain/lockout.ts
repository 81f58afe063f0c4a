import { createHash } from "node:crypto";
import * as z from "../../shared/schema";
import type { LockoutPolicy, LoginGuard } from "./ports";

/**
 * The lock-out policy document kept in SSM. `maxAttempts` failures from one
 * address within `windowSeconds` lock that address out for the username;
 * beyond `maxAttempts` failures from all addresses, every further attempt
 * waits a delay that doubles from 1 s up to `backoffMaxSeconds`, except from
 * an address that logged in to the account within `knownAddressSeconds`.
 */
export const lockoutPolicySchema = z.object({
  maxAttempts: z.number().check(z.int(), z.positive()),
  windowSeconds: z.number().check(z.int(), z.positive()),
  backoffMaxSeconds: z._default(z.number().check(z.int(), z.positive()), 180),
  knownAddressSeconds: z._default(z.number().check(z.int(), z.nonnegative()), 30 * 86_400),
});

/** Failures per address kept for one username; past this the oldest are forgotten (the back-off still counts them). */
const MAX_TRACKED_ADDRESSES = 50;
/** Addresses remembered as the owner's per username. */
const MAX_KNOWN_ADDRESSES = 5;

export type Admission = { kind: "allowed" } | { kind: "locked"; retryAfterSeconds: number };

/**
 * Source addresses are kept hashed with the username: the record needs to
 * recognise an address, not to say what it was.
 */
export function addressKey(username: string, sourceAddress: string): string {
  return createHash("sha256").update(`${username}\u0000${sourceAddress}`).digest("base64url").slice(0, 16);
}

export function emptyGuard(): LoginGuard {
  return { version: 0, failures: 0, lastFailureAt: 0, nextAttemptAt: 0, addresses: {}, known: {} };
}

const isKnown = (guard: LoginGuard, address: string, policy: LockoutPolicy, now: number) => {
  const at = guard.known[address];
  return at !== undefined && now - at < policy.knownAddressSeconds;
};

/** Whether an attempt from this address may reach the password check now. Decides from the record alone. */
export function admit(guard: LoginGuard, address: string, policy: LockoutPolicy, now: number): Admission {
  const own = guard.addresses[address];
  if (own && now < own.since + policy.windowSeconds && own.failures >= policy.maxAttempts) {
    return { kind: "locked", retryAfterSeconds: own.since + policy.windowSeconds - now };
  }
  if (now < guard.nextAttemptAt && !isKnown(guard, address, policy, now)) {
    return { kind: "locked", retryAfterSeconds: guard.nextAttemptAt - now };
  }
  return { kind: "allowed" };
}

/** The back-off before the next attempt after the username's `failures`-th failure (0 within the allowance). */
export function backoffSeconds(failures: number, policy: LockoutPolicy): number {
  if (failures <= policy.maxAttempts) return 0;
  return Math.min(2 ** (failures - policy.maxAttempts - 1), policy.backoffMaxSeconds);
}

function pruned<T>(
  entries: Record<string, T>,
  keep: (value: T) => boolean,
  max: number,
  age: (value: T) => number,
) {
  const live = Object.entries(entries).filter(([, value]) => keep(value));
  live.sort(([, a], [, b]) => age(b) - age(a));
  return Object.fromEntries(live.slice(0, max));
}

/**
 * The record after a failed attempt. The username-wide count starts again
 * only after a quiet window (no failure for `windowSeconds`), so an attacker
 * who keeps guessing stays at the longest delay.
 */
export function afterFailure(
  guard: LoginGuard,
  address: string,
  policy: LockoutPolicy,
  now: number,
): LoginGuard {
  const own = guard.addresses[address];
  const ownWindowOpen = own !== undefined && now < own.since + policy.windowSeconds;
  const addresses = pruned(
    {
      ...guard.addresses,
      [address]: ownWindowOpen ? { ...own, failures: own.failures + 1 } : { failures: 1, since: now },
    },
    (entry) => now < entry.since + policy.windowSeconds,
    MAX_TRACKED_ADDRESSES,
    (entry) => entry.since,
  );
  const failures = now - guard.lastFailureAt < policy.windowSeconds ? guard.failures + 1 : 1;
  const delay = backoffSeconds(failures, policy);
  return {
    ...guard,
    version: guard.version + 1,
    failures,
    lastFailureAt: now,
    nextAttemptAt: delay > 0 ? now + delay : guard.nextAttemptAt,
    addresses,
  };
}

/** The record after the right password: this address's failures are forgiven and it becomes a known one. */
export function afterSuccess(
  guard: LoginGuard,
  address: string,
  policy: LockoutPolicy,
  now: number,
): LoginGuard {
  const { [address]: _forgiven, ...addresses } = guard.addresses;
  return {
    ...guard,
    version: guard.version + 1,
    addresses,
    known: pruned(
      { ...guard.known, [address]: now },
      (at) => now - at < policy.knownAddressSeconds,
      MAX_KNOWN_ADDRESSES,
      (at) => at,
    ),
  };
}

/** When a record for an unknown username may be dropped: nothing in it matters after that. */
export function guardExpiresAt(guard: LoginGuard, policy: LockoutPolicy): number {
  return Math.max(guard.lastFailureAt + policy.windowSeconds, guard.nextAttemptAt);
}
