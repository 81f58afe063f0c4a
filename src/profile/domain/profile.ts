import { NotFoundError, PreconditionFailedError } from "../../shared/errors";
import { testAccountExpiresAt } from "../../shared/test-accounts";
import type { ExactLocation, LocationReader, Profile, ProfileStore } from "./ports";
import { roundTo2Decimals } from "./rounding";

export interface PublicLocation {
  latitude: number;
  longitude: number;
  updatedAt: string;
}

export interface PublicProfile {
  userId: string;
  displayName: string;
  bio: string | null;
  location: PublicLocation | null;
  locationStatus?: "unavailable";
}

export interface PublicProfileResult {
  profile: PublicProfile;
  version: number;
  /** Why the location was left out, for logs and metrics; never sent to the client. */
  degradedBy?: unknown;
}

export interface SaveProfileCommand {
  userId: string;
  /** The caller's username: an acceptance-test account's profile expires with it. */
  username?: string;
  displayName: string;
  bio?: string | null;
  /** The version the client last saw (If-Match); absent when creating. */
  expectedVersion?: number;
}

export interface ProfileWriterDependencies {
  store: ProfileStore;
  clock?: () => Date;
}

function toPublicLocation(location: ExactLocation): PublicLocation {
  return {
    latitude: roundTo2Decimals(location.latitude),
    longitude: roundTo2Decimals(location.longitude),
    updatedAt: location.updatedAt,
  };
}

export function createProfileWriter({ store, clock = () => new Date() }: ProfileWriterDependencies) {
  return {
    async save(command: SaveProfileCommand): Promise<Profile> {
      const now = clock();
      const expiresAt = testAccountExpiresAt(command.username, now);
      const base = {
        userId: command.userId,
        displayName: command.displayName,
        bio: command.bio ?? null,
        updatedAt: now.toISOString(),
      };
      if (command.expectedVersion === undefined) {
        const profile: Profile = { ...base, version: 1 };
        if (await store.create(profile, expiresAt)) return profile;
        throw new PreconditionFailedError(
          "Profile already exists; send If-Match with its current version to update it",
        );
      }
      const profile: Profile = { ...base, version: command.expectedVersion + 1 };
      if (await store.replace(profile, command.expectedVersion, expiresAt)) return profile;
      throw new PreconditionFailedError(
        `Profile is not at version ${command.expectedVersion}; read it again and retry`,
      );
    },
  };
}

export function createProfileReader({
  store,
  locations,
}: {
  store: ProfileStore;
  locations: LocationReader;
}) {
  return {
    async getPublic(userId: string): Promise<PublicProfileResult> {
      const stored = await store.get(userId);
      if (!stored) throw new NotFoundError(`No profile for user '${userId}'`);
      const base = { userId: stored.userId, displayName: stored.displayName, bio: stored.bio };
      try {
        const exact = await locations.read(userId);
        return {
          profile: { ...base, location: exact === null ? null : toPublicLocation(exact) },
          version: stored.version,
        };
      } catch (error) {
        // The profile is still worth serving without its position.
        return {
          profile: { ...base, location: null, locationStatus: "unavailable" },
          version: stored.version,
          degradedBy: error,
        };
      }
    },
  };
}

export type ProfileWriter = ReturnType<typeof createProfileWriter>;
export type ProfileReader = ReturnType<typeof createProfileReader>;
