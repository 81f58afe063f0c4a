import {
  createLocationService,
  normaliseCoordinate,
  validatePosition,
} from "../../../src/location/domain/location";
import type { Location, LocationStore } from "../../../src/location/domain/ports";
import { NotFoundError, ValidationError } from "../../../src/shared/errors";
import { errorToResult } from "../../../src/shared/http";
import { edgyDouble, nextDouble, seededRandom } from "../../../tools/lib/doubles";
import { isStorableNumber } from "../../support/dynamodb-number";

/** Mirrors the DynamoDB condition: write unless the stored position is newer. */
class InMemoryLocationStore implements LocationStore {
  readonly items = new Map<string, Location>();
  writes = 0;

  async get(userId: string): Promise<Location | undefined> {
    return this.items.get(userId);
  }

  async putIfNotOlder(location: Location): Promise<boolean> {
    // DynamoDB refuses these ("Number underflow"/"overflow"), and stores -0 as 0.
    for (const value of [location.latitude, location.longitude]) {
      if (!isStorableNumber(value) || Object.is(value, -0)) throw new Error(`DynamoDB cannot store ${value}`);
    }
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

describe("positions are stored as DynamoDB can hold them", () => {
  it.each([
    [1e-200, 0],
    [5e-324, 0],
    [-7e-300, 0],
    [-0, 0],
    [-0.00000004, 0],
    [0.00000006, 0.0000001],
    [48.858844123456, 48.8588441],
    [-122.98765436, -122.9876544],
    [90, 90],
    [nextDouble(90, true), 90],
  ])("normalises %p to %p (7 decimals, never -0)", (raw, normalised) => {
    expect(Object.is(normaliseCoordinate(raw), normalised)).toBe(true);
  });

  it("stores and returns a tiny coordinate as 0 on either field", async () => {
    const { service, store } = setup();
    const saved = await service.update({ userId: "u1", latitude: 1e-200, longitude: -5e-324 });
    expect(saved).toMatchObject({ latitude: 0, longitude: 0 });
    expect(Object.is(store.items.get("u1")?.longitude, 0)).toBe(true);
  });

  it("property: any finite double in range is stored, and reads back as the update answered", async () => {
    expect.hasAssertions();
    const random = seededRandom(20261201);
    const { service } = setup();
    for (let run = 0; run < 1000; run++) {
      const latitude = edgyDouble(random, 90);
      const longitude = edgyDouble(random, 180);
      const saved = await service.update({ userId: "u1", latitude, longitude });
      expect(isStorableNumber(saved.latitude) && isStorableNumber(saved.longitude)).toBe(true);
      // Normalising is idempotent: what was answered is what a later write of it stores.
      expect(normaliseCoordinate(saved.latitude)).toBe(saved.latitude);
      expect(Math.abs(saved.latitude - latitude)).toBeLessThanOrEqual(0.5e-7 + 1e-12);
      expect(Math.abs(saved.longitude - longitude)).toBeLessThanOrEqual(0.5e-7 + 1e-12);
      await expect(service.get("u1")).resolves.toEqual(saved);
    }
  });
});

describe("isStorableNumber (DynamoDB's number range)", () => {
  it.each([0, 1e-130, -1e-130, 9.99999999999999e125, 42, -0.5])("accepts %p", (value) => {
    expect(isStorableNumber(value)).toBe(true);
  });
  it.each([1e-131, -5e-324, 1e126, -1e300, Number.NaN, Number.POSITIVE_INFINITY])("refuses %p", (value) => {
    expect(isStorableNumber(value)).toBe(false);
  });
});
