/** The location domain's storage port (DynamoDB in adapters/) and the record it keeps. */

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
   * `expiresAt` (epoch seconds, for the table's TTL) only for a test account's.
   */
  putIfNotOlder(location: Location, expiresAt?: number): Promise<boolean>;
}
