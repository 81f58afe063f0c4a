import type { ExactLocation, LocationReader, Profile, ProfileStore } from "../../../src/profile/domain/ports";
import { createProfileReader, createProfileWriter } from "../../../src/profile/domain/profile";
import { NotFoundError, PreconditionFailedError } from "../../../src/shared/errors";

/** Mirrors the DynamoDB conditions: attribute_not_exists / version = :expected. */
class InMemoryProfileStore implements ProfileStore {
  readonly items = new Map<string, Profile>();

  async get(userId: string): Promise<Profile | undefined> {
    const item = this.items.get(userId);
    return item && { ...item };
  }

  async create(profile: Profile): Promise<boolean> {
    if (this.items.has(profile.userId)) return false;
    this.items.set(profile.userId, { ...profile });
    return true;
  }

  async replace(profile: Profile, expectedVersion: number): Promise<boolean> {
    if (this.items.get(profile.userId)?.version !== expectedVersion) return false;
    this.items.set(profile.userId, { ...profile });
    return true;
  }
}

class FakeLocationReader implements LocationReader {
  calls: string[] = [];
  constructor(private readonly answer: () => Promise<ExactLocation | null>) {}
  read(userId: string): Promise<ExactLocation | null> {
    this.calls.push(userId);
    return this.answer();
  }
}

const NOW = "2026-03-04T05:06:07.089Z";

function writer(store = new InMemoryProfileStore()) {
  return { store, profiles: createProfileWriter({ store, clock: () => new Date(NOW) }) };
}

describe("saving a profile", () => {
  it("creates version 1 when there is none and no If-Match; bio defaults to null", async () => {
    const { profiles, store } = writer();
    const saved = await profiles.save({ userId: "u1", displayName: "Alice" });
    expect(saved).toEqual({ userId: "u1", displayName: "Alice", bio: null, version: 1, updatedAt: NOW });
    expect(store.items.get("u1")).toEqual(saved);
  });

  it("412 when creating over an existing profile, telling the client to send If-Match", async () => {
    const { profiles, store } = writer();
    await profiles.save({ userId: "u1", displayName: "Alice" });
    const attempt = profiles.save({ userId: "u1", displayName: "Mallory" });
    await expect(attempt).rejects.toThrow(PreconditionFailedError);
    await expect(attempt).rejects.toThrow(/If-Match/);
    expect(store.items.get("u1")?.displayName).toBe("Alice");
  });

  it("updates when If-Match is the stored version, bumping it", async () => {
    const { profiles } = writer();
    await profiles.save({ userId: "u1", displayName: "Alice" });
    const v2 = await profiles.save({ userId: "u1", displayName: "Alice B", bio: "hi", expectedVersion: 1 });
    expect(v2).toMatchObject({ displayName: "Alice B", bio: "hi", version: 2 });
    const v3 = await profiles.save({ userId: "u1", displayName: "Alice C", expectedVersion: 2 });
    expect(v3).toMatchObject({ displayName: "Alice C", bio: null, version: 3 });
  });

  it("412 on a stale If-Match, leaving the stored profile alone", async () => {
    const { profiles, store } = writer();
    await profiles.save({ userId: "u1", displayName: "Alice" });
    await profiles.save({ userId: "u1", displayName: "Alice 2", expectedVersion: 1 });
    await expect(profiles.save({ userId: "u1", displayName: "stale", expectedVersion: 1 })).rejects.toThrow(
      PreconditionFailedError,
    );
    expect(store.items.get("u1")).toMatchObject({ displayName: "Alice 2", version: 2 });
  });

  it("412 on If-Match for a profile that does not exist", async () => {
    const { profiles, store } = writer();
    await expect(profiles.save({ userId: "u1", displayName: "Alice", expectedVersion: 1 })).rejects.toThrow(
      PreconditionFailedError,
    );
    expect(store.items.size).toBe(0);
  });

  it("of two writers holding the same version, exactly one wins: no update is lost silently", async () => {
    const { profiles, store } = writer();
    await profiles.save({ userId: "u1", displayName: "Alice" });
    const results = await Promise.allSettled([
      profiles.save({ userId: "u1", displayName: "from phone", expectedVersion: 1 }),
      profiles.save({ userId: "u1", displayName: "from laptop", expectedVersion: 1 }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.filter((r) => r.status === "rejected");
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(PreconditionFailedError);
    expect(store.items.get("u1")?.version).toBe(2);
  });
});

describe("reading a public profile", () => {
  const stored: Profile = { userId: "u1", displayName: "Alice", bio: null, version: 4, updatedAt: NOW };

  async function read(answer: () => Promise<ExactLocation | null>, seed: Profile | null = stored) {
    const store = new InMemoryProfileStore();
    if (seed) await store.create(seed);
    const locations = new FakeLocationReader(answer);
    return { locations, result: createProfileReader({ store, locations }).getPublic("u1") };
  }

  it("404 when there is no profile, without asking location", async () => {
    const { locations, result } = await read(async () => null, null);
    await expect(result).rejects.toThrow(NotFoundError);
    expect(locations.calls).toEqual([]);
  });

  it("rounds the position to 2 decimals and keeps its timestamp", async () => {
    const { result } = await read(async () => ({
      latitude: -33.856784,
      longitude: 151.215297,
      updatedAt: "2026-01-01T00:00:00.000Z",
    }));
    await expect(result).resolves.toEqual({
      profile: {
        userId: "u1",
        displayName: "Alice",
        bio: null,
        location: { latitude: -33.86, longitude: 151.22, updatedAt: "2026-01-01T00:00:00.000Z" },
      },
      version: 4,
    });
  });

  it("location is null, with no status, when the user has none", async () => {
    const { result } = await read(async () => null);
    const { profile, degradedBy } = await result;
    expect(profile.location).toBeNull();
    expect(profile).not.toHaveProperty("locationStatus");
    expect(degradedBy).toBeUndefined();
  });

  it.each([
    ["a DependencyError", () => Promise.reject(new Error("GET location answered 503"))],
    ["a non-Error rejection", () => Promise.reject("boom")],
    [
      "a synchronous throw",
      () => {
        throw new TypeError("bad");
      },
    ],
  ])("degrades on %s: location null and locationStatus unavailable", async (_, answer) => {
    const { result } = await read(answer as () => Promise<ExactLocation | null>);
    const { profile, degradedBy } = await result;
    expect(profile).toEqual({
      userId: "u1",
      displayName: "Alice",
      bio: null,
      location: null,
      locationStatus: "unavailable",
    });
    expect(degradedBy).toBeDefined();
  });
});
