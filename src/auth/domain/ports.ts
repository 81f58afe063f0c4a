/**
 * The auth domain's view of the outside world. Adapters implement these with
 * DynamoDB, SSM and Secrets Manager; unit tests implement them in memory.
 */

/** Epoch milliseconds; injected so tests control time. */
export type Clock = () => number;

export interface UserRecord {
  userId: string;
  username: string;
  /** Self-describing hash string from a PasswordHasher (algorithm, parameters, salt, key). */
  passwordHash: string;
  createdAt: string;
}

export interface UserRepository {
  /** Creates the user unless the username exists; returns false when it does. Atomic. */
  create(user: UserRecord): Promise<boolean>;
  findByUsername(username: string): Promise<UserRecord | undefined>;
  /**
   * Swaps the stored hash only if it still equals `expectedHash`; returns false
   * when it changed meanwhile (or the user is gone), so a concurrent change wins.
   */
  replacePasswordHash(username: string, expectedHash: string, newHash: string): Promise<boolean>;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, storedHash: string): Promise<boolean>;
  /** True when a stored hash was made with other parameters than the current ones. */
  needsRehash(storedHash: string): boolean;
  /**
   * A well-formed hash that matches no password, with the current parameters,
   * so checking an unknown user costs as much as checking a real one.
   */
  dummyHash(): string;
}

/** Login attempts counted against one username inside one window. */
export interface LoginAttemptWindow {
  attempts: number;
  /** Epoch seconds of the first attempt in the window. */
  windowStartedAt: number;
}

export interface LoginAttemptStore {
  get(username: string): Promise<LoginAttemptWindow | undefined>;
  /**
   * Compare-and-set: writes `next` only if the stored window still equals
   * `expected` (undefined: no window stored). Returns false when another
   * request changed it first. `expiresAt` (epoch seconds) lets the store drop
   * the record later; the domain never relies on that happening.
   */
  replace(
    username: string,
    next: LoginAttemptWindow,
    expected: LoginAttemptWindow | undefined,
    expiresAt: number,
  ): Promise<boolean>;
  clear(username: string): Promise<void>;
}

export interface LockoutPolicy {
  maxAttempts: number;
  windowSeconds: number;
}

export interface LockoutPolicySource {
  /** The policy in force now; may be cached briefly, so changes apply without a deploy. */
  current(): Promise<LockoutPolicy>;
}

/** An HMAC key and the id that names it in a token's `kid` header. */
export interface SigningKey {
  id: string;
  key: Uint8Array;
}

/**
 * `current` signs new tokens; `previous`, the key it replaced, is still
 * accepted so that rotating the key does not reject tokens already issued.
 */
export interface SigningKeys {
  current: SigningKey;
  previous?: SigningKey;
}

export interface SigningKeySource {
  /** May be cached; `refresh` reads them anew (when a token names a key the cache does not hold). */
  signingKeys(options?: { refresh?: boolean }): Promise<SigningKeys>;
}
