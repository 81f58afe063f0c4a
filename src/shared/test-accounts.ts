/**
 * Acceptance-test accounts (tests/e2e) run against every deployed
 * environment after each deploy, so what they create must go away on its own:
 * a username with this prefix is a test account, and its user record, profile
 * and location carry an `expiresAt` that the tables' TTL deletes. The API
 * routes offer no way to delete them, and the acceptance role may not write
 * to any table.
 */
export const TEST_ACCOUNT_PREFIX = "e2e-";

/** A day: long enough to look at a failed run's data, short enough that nothing accumulates. */
export const TEST_ACCOUNT_LIFETIME_SECONDS = 24 * 60 * 60;

function isTestAccount(username: string | undefined): boolean {
  return username?.startsWith(TEST_ACCOUNT_PREFIX) ?? false;
}

/** The TTL (epoch seconds) for a test account's records, or undefined for everyone else's: those never expire. */
export function testAccountExpiresAt(username: string | undefined, now: Date): number | undefined {
  if (!isTestAccount(username)) return undefined;
  return Math.floor(now.getTime() / 1000) + TEST_ACCOUNT_LIFETIME_SECONDS;
}
