import { NotFoundError, ValidationError } from "../../shared/errors";
import { testAccountExpiresAt } from "../../shared/test-accounts";
import type { Location, LocationStore } from "./ports";

export interface LocationServiceDependencies {
  store: LocationStore;
  clock?: () => Date;
}

export interface PositionUpdate {
  userId: string;
  /** The caller's username: an acceptance-test account's position expires with it. */
  username?: string;
  latitude: number;
  longitude: number;
}

/** 7 decimals is about 1 cm: more than any position fix carries. */
const COORDINATE_DECIMALS = 7;

/**
 * A coordinate as stored: rounded to 7 decimals (half away from zero, of the
 * double's exact value) and never -0. That makes every in-range double one
 * DynamoDB can store (a subnormal, or 1e-200, becomes 0 instead of "Number
 * underflow"), and the stored value reads back as the update answered (DynamoDB
 * would turn -0 into 0). Idempotent, so a client sending back what it got
 * changes nothing.
 */
export function normaliseCoordinate(value: number): number {
  const rounded = Number(value.toFixed(COORDINATE_DECIMALS));
  return rounded === 0 ? 0 : rounded;
}

export function validatePosition(latitude: number, longitude: number): void {
  const problems: string[] = [];
  if (!Number.isFinite(latitude) || latitude < -90 || latitude > 90) {
    problems.push("latitude must be a number between -90 and 90");
  }
  if (!Number.isFinite(longitude) || longitude < -180 || longitude > 180) {
    problems.push("longitude must be a number between -180 and 180");
  }
  if (problems.length > 0) throw new ValidationError(problems.join("; "), "OUT_OF_RANGE");
}

export function createLocationService({ store, clock = () => new Date() }: LocationServiceDependencies) {
  return {
    async update({ userId, username, latitude, longitude }: PositionUpdate): Promise<Location> {
      validatePosition(latitude, longitude);
      const now = clock();
      const location: Location = {
        userId,
        latitude: normaliseCoordinate(latitude),
        longitude: normaliseCoordinate(longitude),
        updatedAt: now.toISOString(),
      };
      if (await store.putIfNotOlder(location, testAccountExpiresAt(username, now))) return location;
      // A concurrent request stamped a later time (clock skew between
      // instances); that one is the user's current position, so report it.
      const current = await store.get(userId);
      return current ?? location;
    },

    async get(userId: string): Promise<Location> {
      const location = await store.get(userId);
      if (!location) throw new NotFoundError(`No location for user '${userId}'`);
      return location;
    },
  };
}

export type LocationService = ReturnType<typeof createLocationService>;
