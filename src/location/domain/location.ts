import { NotFoundError, ValidationError } from "../../shared/errors";

export interface Location {
  userId: string;
  latitude: number;
  longitude: number;
  /** ISO 8601, UTC. */
  updatedAt: string;
}

export interface LocationStore {
  get(userId: string): Promise<Location | undefined>;
  /**
   * Writes unless the stored position is newer. Returns false when a newer
   * position was kept, so a delayed request never moves a user back in time.
   */
  putIfNotOlder(location: Location): Promise<boolean>;
}

export interface LocationServiceDeps {
  store: LocationStore;
  clock?: () => Date;
}

export interface PositionUpdate {
  userId: string;
  latitude: number;
  longitude: number;
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

export function createLocationService({ store, clock = () => new Date() }: LocationServiceDeps) {
  return {
    async update({ userId, latitude, longitude }: PositionUpdate): Promise<Location> {
      validatePosition(latitude, longitude);
      const location: Location = { userId, latitude, longitude, updatedAt: clock().toISOString() };
      if (await store.putIfNotOlder(location)) return location;
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
