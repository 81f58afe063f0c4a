/** The profile domain's ports: its own table and the location service (adapters/). */

export interface Profile {
  userId: string;
  displayName: string;
  bio: string | null;
  version: number;
  /** ISO 8601, UTC. */
  updatedAt: string;
}

/** `expiresAt` (epoch seconds, for the table's TTL) is given only for an acceptance-test account's profile. */
export interface ProfileStore {
  get(userId: string): Promise<Profile | undefined>;
  /** Writes only if there is no profile yet; false otherwise. */
  create(profile: Profile, expiresAt?: number): Promise<boolean>;
  /** Writes only if the stored version is `expectedVersion`; false otherwise (or when none exists). */
  replace(profile: Profile, expectedVersion: number, expiresAt?: number): Promise<boolean>;
}

export interface ExactLocation {
  latitude: number;
  longitude: number;
  updatedAt: string;
}

/**
 * The location service as profile sees it. Resolves to null when the user has
 * no location; rejects for anything else (unreachable, denied, slow, garbage).
 */
export interface LocationReader {
  read(userId: string): Promise<ExactLocation | null>;
}
