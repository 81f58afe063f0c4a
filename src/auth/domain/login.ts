import { TooManyRequestsError, UnauthorizedError } from "../../shared/errors";
import { addressKey, admit, afterFailure, afterSuccess, emptyGuard, guardExpiresAt } from "./lockout";
import type { Clock, LockoutPolicySource, LoginRecordStore, PasswordHasher } from "./ports";
import type { IssuedToken, TokenIssuer } from "./tokens";

/** One message for unknown users and wrong passwords, so the reply reveals neither. */
export const INVALID_CREDENTIALS = "Invalid username or password";
const LOCKED_OUT = "Too many failed login attempts; try again later";

export interface LoginDependencies {
  records: LoginRecordStore;
  policy: LockoutPolicySource;
  hasher: PasswordHasher;
  tokens: TokenIssuer;
  clock?: Clock;
}

export interface LoginService {
  login(username: string, password: string, sourceAddress: string): Promise<IssuedToken>;
}

export function createLoginService(deps: LoginDependencies): LoginService {
  const clock = deps.clock ?? Date.now;

  /**
   * Exchanges a password for a token in two table requests: one read of the
   * user and the username's guard, one write conditional on the guard's
   * version. An answer is given only once its attempt is recorded: of many
   * parallel guesses read against the same guard, one is recorded and
   * answered, the others get a 429 that says nothing about their password,
   * so no guess goes uncounted.
   */
  async function login(username: string, password: string, sourceAddress: string): Promise<IssuedToken> {
    const policy = await deps.policy.current();
    const now = Math.floor(clock() / 1000);
    const address = addressKey(username, sourceAddress);
    const { user, guard: stored } = await deps.records.read(username);
    const guard = stored ?? emptyGuard();

    const admission = admit(guard, address, policy, now);
    if (admission.kind === "locked") throw new TooManyRequestsError(LOCKED_OUT, admission.retryAfterSeconds);

    // An unknown user still costs one full scrypt run and one write, so
    // timing does not tell which usernames exist.
    const matches = await deps.hasher.verify(password, user?.passwordHash ?? deps.hasher.dummyHash());
    const succeeded = user !== undefined && matches;
    const next = succeeded
      ? afterSuccess(guard, address, policy, now)
      : afterFailure(guard, address, policy, now);
    // The password is only ever in hand here, so this is where hashes made
    // with older, weaker parameters move to the current ones (in the same write).
    const passwordHash =
      succeeded && deps.hasher.needsRehash(user.passwordHash) ? await deps.hasher.hash(password) : undefined;
    const recorded = await deps.records.write(username, {
      next,
      expectedVersion: stored?.version,
      userExists: user !== undefined,
      ...(passwordHash === undefined ? {} : { passwordHash }),
      expiresAt: guardExpiresAt(next, policy),
    });
    if (!recorded) throw new TooManyRequestsError(LOCKED_OUT, 1);
    if (!succeeded) throw new UnauthorizedError(INVALID_CREDENTIALS);
    return deps.tokens.issue({ userId: user.userId, username: user.username });
  }

  return { login };
}
