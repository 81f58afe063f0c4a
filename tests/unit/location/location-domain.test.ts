import {
  createLocationService,
  type Location,
  type LocationStore,
  validatePosition,
} from "../../../src/location/domain/location";
import { NotFoundError, ValidationError } from "../../../src/shared/errors";
import { errorToResult } from "../../../src/shared/http";

/** Mirrors the DynamoDB condition: write unless the stored position is newer. */
class InMemoryLocationStore implements LocationStore {
  readonly items = new Map<string, Location>();
  writes = 0;

  async get(userId: string): Promise<Location | undefined> {
    return this.items.get(userId);
  }

  async putIfNotOlder(location: Location): Promise<boolean> {
    this.writes += 1;
    const current = this.items.get(location.userId);
    if (current && current.updatedAt > location.updatedAt) return false;
    this.items.set(location.userId, { ...location });
    return true;
  }
}

function setup(now = "2026-01-02T03:04:05.678Z") {
  const store = new InMemoryLocationStore();
  let clock = new Date(now);
  const service = createLocationService({ store, clock: () => clock });
  return {
    store,
    service,
    setClock: (iso: string) => {
      clock = new Date(iso);
    },
  };
}

describe("validatePosition", () => {
  it.each([
    [0, 0],
    [90, 180],
    [-90, -180],
    [45.123456789, -122.987654321],
  ])("accepts %p, %p", (latitude, longitude) => {
    expect(() => validatePosition(latitude, longitude)).not.toThrow();
  });

  it.each([
    [90.0000001, 0],
    [-90.0000001, 0],
    [0, 180.0000001],
    [0, -180.0000001],
    [Number.NaN, 0],
    [0, Number.NaN],
    [Number.POSITIVE_INFINITY, 0],
    [0, Number.NEGATIVE_INFINITY],
  ])("rejects %p, %p with a 400", (latitude, longitude) => {
    expect(() => validatePosition(latitude, longitude)).toThrow(ValidationError);
    try {
      validatePosition(latitude, longitude);
    } catch (error) {
      expect(errorToResult(error).status).toBe(400);
    }
  });

  it("names every field that is out of range", () => {
    expect(() => validatePosition(91, 181)).toThrow(/latitude.*longitude/);
  });
});

describe("location service", () => {
  it("stores the position with the current time and returns it", async () => {
    const { service, store } = setup();
    const saved = await service.update({ userId: "u1", latitude: 12.5, longitude: -7.25 });
    expect(saved).toEqual({
      userId: "u1",
      latitude: 12.5,
      longitude: -7.25,
      updatedAt: "2026-01-02T03:04:05.678Z",
    });
    expect(store.items.get("u1")).toEqual(saved);
  });

  it("does not write an out-of-range position", async () => {
    const { service, store } = setup();
    await expect(service.update({ userId: "u1", latitude: 100, longitude: 0 })).rejects.toThrow(
      ValidationError,
    );
    expect(store.writes).toBe(0);
  });

  it("a later update replaces the earlier one", async () => {
    const { service, setClock } = setup("2026-01-01T00:00:00.000Z");
    await service.update({ userId: "u1", latitude: 1, longitude: 1 });
    setClock("2026-01-01T00:00:01.000Z");
    await service.update({ userId: "u1", latitude: 2, longitude: 2 });
    await expect(service.get("u1")).resolves.toMatchObject({ latitude: 2, longitude: 2 });
  });

  it("an update stamped earlier than the stored one never overwrites it, and reports the newer one", async () => {
    const { service, setClock } = setup("2026-01-01T00:00:05.000Z");
    await service.update({ userId: "u1", latitude: 5, longitude: 5 });
    setClock("2026-01-01T00:00:04.000Z");
    const result = await service.update({ userId: "u1", latitude: 4, longitude: 4 });
    expect(result).toEqual({
      userId: "u1",
      latitude: 5,
      longitude: 5,
      updatedAt: "2026-01-01T00:00:05.000Z",
    });
    await expect(service.get("u1")).resolves.toMatchObject({ latitude: 5 });
  });

  it("get is a 404 when the user has no location", async () => {
    const { service } = setup();
    await expect(service.get("nobody")).rejects.toThrow(NotFoundError);
  });

  it("keeps users apart", async () => {
    const { service } = setup();
    await service.update({ userId: "a", latitude: 1, longitude: 1 });
    await expect(service.get("b")).rejects.toThrow(NotFoundError);
  });
});
