import { randomUUID } from "node:crypto";
import { ConflictError } from "../../shared/errors";
import { testAccountExpiresAt } from "../../shared/test-accounts";
import type { Clock, PasswordHasher, UserRepository } from "./ports";

export interface RegisteredUser {
  userId: string;
  username: string;
}

export interface RegistrationDependencies {
  users: UserRepository;
  hasher: PasswordHasher;
  clock?: Clock;
  newUserId?: () => string;
}

export interface RegistrationService {
  register(username: string, password: string): Promise<RegisteredUser>;
}

export function createRegistrationService({
  users,
  hasher,
  clock = Date.now,
  newUserId = randomUUID,
}: RegistrationDependencies): RegistrationService {
  async function register(username: string, password: string): Promise<RegisteredUser> {
    const passwordHash = await hasher.hash(password);
    const now = new Date(clock());
    const expiresAt = testAccountExpiresAt(username, now);
    const user = {
      userId: newUserId(),
      username,
      passwordHash,
      createdAt: now.toISOString(),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    };
    // One conditional write decides between racing registrations; checking
    // first and writing second would let both win.
    const created = await users.create(user);
    if (!created) throw new ConflictError("Username is already taken");
    return { userId: user.userId, username: user.username };
  }

  return { register };
}
