import { TooManyRequestsError, UnauthorizedError } from "../../shared/errors";
import { decideAttempt } from "./lockout";
import type { Clock, LockoutPolicySource, LoginAttemptStore, PasswordHasher, UserRepository } from "./ports";
import type { IssuedToken, TokenIssuer } from "./tokens";

/** One message for unknown users and wrong passwords, so the reply reveals neither. */
export const INVALID_CREDENTIALS = "Invalid username or password";
export const LOCKED_OUT = "Too many failed login attempts; try again later";

// Compare-and-set rounds before giving up on a username under heavy
// concurrent attempts; each round is one read and one conditional write.
const MAX_RESERVE_ROUNDS = 5;

export interface LoginDependencies {
  users: UserRepository;
  attempts: LoginAttemptStore;
  policy: LockoutPolicySource;
  hasher: PasswordHasher;
  tokens: TokenIssuer;
  clock?: Clock;
}

export class LoginService {
  private readonly clock: Clock;

  constructor(private readonly deps: LoginDependencies) {
    this.clock = deps.clock ?? Date.now;
  }

  /**
   * Exchanges a password for a token. The attempt is counted before the
   * password is checked and the count cleared only on success: counting after
   * a failure would let many parallel guesses all pass the lock-out check
   * before any of them was recorded.
   */
  async login(username: string, password: string): Promise<IssuedToken> {
    await this.reserveAttempt(username);

    const user = await this.deps.users.findByUsername(username);
    // An unknown user still costs one full scrypt run, so timing does not
    // tell which usernames exist.
    const matches = await this.deps.hasher.verify(
      password,
      user?.passwordHash ?? this.deps.hasher.dummyHash(),
    );
    if (!user || !matches) throw new UnauthorizedError(INVALID_CREDENTIALS);

    await this.deps.attempts.clear(username);
    // The password is only ever in hand here, so this is where hashes made
    // with older, weaker parameters move to the current ones.
    if (this.deps.hasher.needsRehash(user.passwordHash)) {
      const upgraded = await this.deps.hasher.hash(password);
      await this.deps.users.replacePasswordHash(user.username, user.passwordHash, upgraded);
    }
    return this.deps.tokens.issue({ userId: user.userId, username: user.username });
  }

  private async reserveAttempt(username: string): Promise<void> {
    const policy = await this.deps.policy.current();
    for (let round = 0; round < MAX_RESERVE_ROUNDS; round++) {
      const current = await this.deps.attempts.get(username);
      const decision = decideAttempt(current, policy, Math.floor(this.clock() / 1000));
      if (decision.kind === "locked") throw new TooManyRequestsError(LOCKED_OUT, decision.retryAfterSeconds);
      if (await this.deps.attempts.replace(username, decision.next, current, decision.expiresAt)) return;
    }
    // Lost every race: many attempts on this username at once. Shedding this
    // one is safer than letting it through uncounted.
    throw new TooManyRequestsError(LOCKED_OUT, 1);
  }
}
