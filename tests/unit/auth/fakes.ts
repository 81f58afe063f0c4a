import type {
  LockoutPolicy,
  LockoutPolicySource,
  LoginGuard,
  LoginRecord,
  LoginRecordStore,
  LoginRecordWrite,
  SigningKeySource,
  SigningKeys,
  UserRecord,
  UserRepository,
} from "../../../src/auth/domain/ports";
import { signingKeyFrom } from "../../../src/auth/domain/signing-key";

/** Resolves on a later turn, so concurrent callers interleave as they would over a network. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export class InMemoryUserRepository implements UserRepository {
  readonly users = new Map<string, UserRecord>();

  async create(user: UserRecord): Promise<boolean> {
    await tick();
    if (this.users.has(user.username)) return false;
    this.users.set(user.username, { ...user });
    return true;
  }
}

/** Login's table as one map, with DynamoDB's conditional write on the guard's version; counts requests. */
export class InMemoryLoginRecordStore implements LoginRecordStore {
  readonly guards = new Map<string, LoginGuard>();
  requests = 0;

  constructor(readonly users: InMemoryUserRepository) {}

  async read(username: string): Promise<LoginRecord> {
    this.requests++;
    await tick();
    const user = this.users.users.get(username);
    const guard = this.guards.get(username);
    return { ...(user ? { user: { ...user } } : {}), ...(guard ? { guard: structuredClone(guard) } : {}) };
  }

  async write(username: string, write: LoginRecordWrite): Promise<boolean> {
    this.requests++;
    await tick();
    if (this.guards.get(username)?.version !== write.expectedVersion) return false;
    this.guards.set(username, structuredClone(write.next));
    const user = this.users.users.get(username);
    if (user && write.passwordHash !== undefined) user.passwordHash = write.passwordHash;
    return true;
  }
}

export class MutableLockoutPolicySource implements LockoutPolicySource {
  constructor(public policy: LockoutPolicy) {}

  async current(): Promise<LockoutPolicy> {
    return { ...this.policy };
  }
}

export class FixedSigningKeySource implements SigningKeySource {
  constructor(private readonly key: Uint8Array = new TextEncoder().encode("k".repeat(64))) {}

  async signingKeys(): Promise<SigningKeys> {
    return { current: signingKeyFrom(this.key) };
  }
}

/** A secret's AWSCURRENT and AWSPREVIOUS values, moved on rotation as Secrets Manager moves them. */
export class RotatingSecret {
  previous: Uint8Array | undefined;

  constructor(public current: Uint8Array) {}

  rotate(next: Uint8Array): void {
    this.previous = this.current;
    this.current = next;
  }
}

/**
 * Reads the secret on first use and then only when asked to refresh: a cache
 * that outlives the test, like one execution environment's between rotations.
 */
export class CachingSigningKeySource implements SigningKeySource {
  refreshes = 0;
  private cached: SigningKeys | undefined;

  constructor(private readonly secret: RotatingSecret) {}

  async signingKeys(options: { refresh?: boolean } = {}): Promise<SigningKeys> {
    if (options.refresh) this.refreshes++;
    if (this.cached === undefined || options.refresh) {
      await tick();
      const { current, previous } = this.secret;
      this.cached = {
        current: signingKeyFrom(current),
        ...(previous ? { previous: signingKeyFrom(previous) } : {}),
      };
    }
    return this.cached;
  }
}

/** A clock the test moves by hand; epoch milliseconds. */
export class ManualClock {
  constructor(public nowMs = Date.UTC(2025, 0, 1)) {}

  readonly now = (): number => this.nowMs;

  advanceSeconds(seconds: number): void {
    this.nowMs += seconds * 1000;
  }
}

/** Runs a promise expected to reject and returns the rejection. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("Expected the promise to reject");
}

/** The variables auth's templates give its functions, as the wiring's builders take them. */
export const AUTH_VARIABLES = {
  USERS_TABLE_NAME: "auth-users-test",
  TOKEN_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:token-key-AbCdEf",
  TOKEN_TTL_SECONDS: "900",
  LOCKOUT_POLICY_PARAMETER: "/meridian/test/auth/lockout/policy",
  LOCKOUT_POLICY_MAX_AGE_SECONDS: "60",
  TOKEN_SIGNING_KEY_MAX_AGE_SECONDS: "300",
};
