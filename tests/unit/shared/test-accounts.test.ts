import type { UserRecord } from "../../../src/auth/domain/ports";
import { createRegistrationService } from "../../../src/auth/domain/registration";
import { createLocationService } from "../../../src/location/domain/location";
import type { Location } from "../../../src/location/domain/ports";
import type { Profile } from "../../../src/profile/domain/ports";
import { createProfileWriter } from "../../../src/profile/domain/profile";
import { TEST_ACCOUNT_LIFETIME_SECONDS, testAccountExpiresAt } from "../../../src/shared/test-accounts";

/**
 * The acceptance suite's accounts (e2e-...) expire with everything they own;
 * every other user's records never do: nothing a user stored is ever lost.
 */

const NOW = new Date("2026-12-01T12:00:00.000Z");
const A_DAY_LATER = NOW.getTime() / 1000 + TEST_ACCOUNT_LIFETIME_SECONDS;

test("only e2e- usernames expire, a day after the write", () => {
  expect(testAccountExpiresAt("e2e-1a2b3c4d-owner", NOW)).toBe(A_DAY_LATER);
  for (const username of ["ada", "e2e", "xe2e-ada", "E2E-ada", undefined]) {
    expect(testAccountExpiresAt(username, NOW)).toBeUndefined();
  }
});

test.each([
  ["e2e-1a2b3c4d-owner", A_DAY_LATER],
  ["ada", undefined],
])("registration of %s stores expiresAt %p", async (username, expected) => {
  const created: UserRecord[] = [];
  const users = {
    create: async (user: UserRecord) => Boolean(created.push(user)),
  };
  const hasher = { hash: async () => "hash", verify: async () => ({ valid: true, needsRehash: false }) };
  await createRegistrationService({ users, hasher: hasher as never, clock: () => NOW.getTime() }).register(
    username,
    "pw",
  );
  expect(created.map((user) => user.expiresAt)).toEqual([expected]);
});

test.each([
  ["e2e-1a2b3c4d-owner", A_DAY_LATER],
  ["ada", undefined],
])("a location put by %s is stored with expiresAt %p", async (username, expected) => {
  const writes: Array<[Location, number | undefined]> = [];
  const store = {
    get: async () => undefined,
    putIfNotOlder: async (location: Location, expiresAt?: number) =>
      Boolean(writes.push([location, expiresAt])),
  };
  const service = createLocationService({ store, clock: () => NOW });
  const answered = await service.update({ userId: "u1", username, latitude: 1, longitude: 2 });
  expect(writes.map(([, expiresAt]) => expiresAt)).toEqual([expected]);
  expect(answered).not.toHaveProperty("expiresAt");
});

test.each([
  ["e2e-1a2b3c4d-owner", A_DAY_LATER],
  ["ada", undefined],
])("a profile saved by %s (created, then replaced) is stored with expiresAt %p", async (username, expected) => {
  const writes: Array<number | undefined> = [];
  const store = {
    get: async () => undefined,
    create: async (_profile: Profile, expiresAt?: number) => Boolean(writes.push(expiresAt)),
    replace: async (_profile: Profile, _version: number, expiresAt?: number) =>
      Boolean(writes.push(expiresAt)),
  };
  const writer = createProfileWriter({ store, clock: () => NOW });
  const created = await writer.save({ userId: "u1", username, displayName: "A" });
  await writer.save({ userId: "u1", username, displayName: "B", expectedVersion: 1 });
  expect(writes).toEqual([expected, expected]);
  expect(created).not.toHaveProperty("expiresAt");
});
