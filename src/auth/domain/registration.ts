import { randomUUID } from "node:crypto";
import { ConflictError } from "../../shared/errors";
import { testAccountExpiresAt } from "../../shared/test-accounts";
import type { Clock, PasswordHasher, UserRepository } from "./ports";

export interface RegisteredUser {
  userId: string;
  username: string;
}

export class RegistrationService {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock = Date.now,
    private readonly newUserId: () => string = randomUUID,
  ) {}

  async register(username: string, password: string): Promise<RegisteredUser> {
    const passwordHash = await this.hasher.hash(password);
    const now = new Date(this.clock());
    const expiresAt = testAccountExpiresAt(username, now);
    const user = {
      userId: this.newUserId(),
      username,
      passwordHash,
      createdAt: now.toISOString(),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    };
    // One conditional write decides between racing registrations; checking
    // first and writing second would let both win.
    const created = await this.users.create(user);
    if (!created) throw new ConflictError("Username is already taken");
    return { userId: user.userId, username: user.username };
  }
}
