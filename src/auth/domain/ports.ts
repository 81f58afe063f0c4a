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
  /** Epoch seconds when the table's TTL deletes the user: set only for acceptance-test accounts. */
  expiresAt?: number;
}

export interface UserRepository {
  /** Creates the user unless the username exists; returns false when it does. Atomic. */
  create(user: UserRecord): Promise<boolean>;
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

/**
 * What login keeps per username to slow down guessing (see lockout.ts). Kept
 * in the user's own item, or for a username nobody has, in an item of its own,
 * so every login reads it with the user in one request and writes it in one.
 */
export interface LoginGuard {
  /** Bumped by every recorded attempt: the write is conditional on it, so no count is lost. */
  version: number;
  /** Failures from all addresses since the last quiet window. */
  failures: number;
  /** Epoch seconds. */
  lastFailureAt: number;
  /** Epoch seconds before which only known addresses may try: the username-wide back-off. */
  nextAttemptAt: number;
  /** Per hashed source address: failures in the window that began at `since` (epoch seconds). */
  addresses: Record<string, { failures: number; since: number }>;
  /** Hashed addresses that logged in successfully, with when (epoch seconds). */
  known: Record<string, number>;
}

export interface LoginRecord {
  user?: UserRecord;
  /** Undefined when nothing was ever recorded. */
  guard?: LoginGuard;
}

export interface LoginRecordWrite {
  next: LoginGuard;
  /** The version read; undefined when there was no guard. */
  expectedVersion: number | undefined;
  /** Whether the guard lives in the user's item (the user exists) or in a username item of its own. */
  userExists: boolean;
  /** A stronger hash to store with the record (only after the right password). */
  passwordHash?: string;
  /** When a username item may be dropped (epoch seconds); user items never expire. */
  expiresAt: number;
}

/** Login's whole view of the table: one read, one conditional write. */
export interface LoginRecordStore {
  read(username: string): Promise<LoginRecord>;
  /** False when another attempt was recorded since the read: this one must reveal nothing. */
  write(username: string, write: LoginRecordWrite): Promise<boolean>;
}

export interface LockoutPolicy {
  maxAttempts: number;
  windowSeconds: number;
  backoffMaxSeconds: number;
  knownAddressSeconds: number;
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
