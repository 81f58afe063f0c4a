import { decideAttempt } from "../../../src/auth/domain/lockout";
import { INVALID_CREDENTIALS, LoginService } from "../../../src/auth/domain/login";
import { ScryptPasswordHasher } from "../../../src/auth/domain/password-hasher";
import { TokenIssuer, TokenVerifier } from "../../../src/auth/domain/tokens";
import { type DomainError, TooManyRequestsError, UnauthorizedError } from "../../../src/shared/errors";
import { errorToResult } from "../../../src/shared/http";
import {
  FixedSigningKeySource,
  InMemoryLoginAttemptStore,
  InMemoryUserRepository,
  ManualClock,
  MutableLockoutPolicySource,
  rejectionOf,
} from "./fakes";

const PASSWORD = "a long enough password";
const WRONG = "not the right password";

async function setUp(
  policy = { maxAttempts: 3, windowSeconds: 900 },
  hasher = new ScryptPasswordHasher({ log2Cost: 4 }),
) {
  const clock = new ManualClock();
  const users = new InMemoryUserRepository();
  const attempts = new InMemoryLoginAttemptStore();
  const policySource = new MutableLockoutPolicySource(policy);
  const keys = new FixedSigningKeySource();
  await users.create({
    userId: "user-1",
    username: "alice",
    passwordHash: await hasher.hash(PASSWORD),
    createdAt: new Date(clock.now()).toISOString(),
  });
  const verifySpy = jest.spyOn(hasher, "verify");
  const service = new LoginService({
    users,
    attempts,
    policy: policySource,
    hasher,
    tokens: new TokenIssuer(keys, 3600, clock.now),
    clock: clock.now,
  });
  const verifier = new TokenVerifier(keys, clock.now);
  return { clock, users, attempts, policySource, service, verifier, verifySpy };
}

function describeError(error: unknown) {
  const domainError = error as DomainError;
  return {
    type: domainError.constructor,
    status: errorToResult(error).status,
    code: domainError.code,
    message: domainError.message,
  };
}

describe("LoginService", () => {
  it("issues a bearer token for the right password", async () => {
    const { service, verifier } = await setUp();
    const issued = await service.login("alice", PASSWORD);
    expect(issued).toMatchObject({ tokenType: "Bearer", expiresIn: 3600 });
    await expect(verifier.verify(issued.token)).resolves.toEqual({ userId: "user-1", username: "alice" });
  });

  it("answers an unknown user exactly like a wrong password, after running the KDF", async () => {
    const { service, verifySpy } = await setUp();

    const wrongPassword = await rejectionOf(service.login("alice", WRONG));
    const unknownUser = await rejectionOf(service.login("mallory", WRONG));

    expect(wrongPassword).toBeInstanceOf(UnauthorizedError);
    expect(describeError(unknownUser)).toEqual(describeError(wrongPassword));
    expect(describeError(unknownUser)).toMatchObject({ status: 401, message: INVALID_CREDENTIALS });
    // Both paths paid for one scrypt run; the unknown user against a dummy hash.
    expect(verifySpy).toHaveBeenCalledTimes(2);
    expect(verifySpy.mock.calls[1]?.[1]).toMatch(/^\$scrypt\$ln=4,/);
  });

  it("locks a username out after maxAttempts failures, with Retry-After for the rest of the window", async () => {
    const { service, clock } = await setUp({ maxAttempts: 3, windowSeconds: 900 });
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(await rejectionOf(service.login("alice", WRONG))).toBeInstanceOf(UnauthorizedError);
      clock.advanceSeconds(10);
    }

    const locked = await rejectionOf(service.login("alice", WRONG));

    expect(locked).toBeInstanceOf(TooManyRequestsError);
    expect(errorToResult(locked).status).toBe(429);
    // Window opened at t=0; 30 seconds have passed.
    expect(errorToResult(locked).headers?.["Retry-After"]).toBe("870");
  });

  it("refuses even the right password while locked out", async () => {
    const { service } = await setUp({ maxAttempts: 2, windowSeconds: 900 });
    await rejectionOf(service.login("alice", WRONG));
    await rejectionOf(service.login("alice", WRONG));
    expect(await rejectionOf(service.login("alice", PASSWORD))).toBeInstanceOf(TooManyRequestsError);
  });

  it("counts failures for unknown usernames too, so lock-out reveals nothing", async () => {
    const { service } = await setUp({ maxAttempts: 2, windowSeconds: 900 });
    await rejectionOf(service.login("nobody", WRONG));
    await rejectionOf(service.login("nobody", WRONG));
    expect(await rejectionOf(service.login("nobody", WRONG))).toBeInstanceOf(TooManyRequestsError);
  });

  it("starts afresh once the window has passed, even though the store still holds the record", async () => {
    const { service, clock, attempts } = await setUp({ maxAttempts: 2, windowSeconds: 60 });
    await rejectionOf(service.login("alice", WRONG));
    await rejectionOf(service.login("alice", WRONG));
    expect(await rejectionOf(service.login("alice", PASSWORD))).toBeInstanceOf(TooManyRequestsError);

    clock.advanceSeconds(60);

    await expect(service.login("alice", PASSWORD)).resolves.toMatchObject({ tokenType: "Bearer" });
    expect(attempts.windows.has("alice")).toBe(false);
  });

  it("clears the count on success", async () => {
    const { service, attempts } = await setUp({ maxAttempts: 3, windowSeconds: 900 });
    await rejectionOf(service.login("alice", WRONG));
    await rejectionOf(service.login("alice", WRONG));
    await service.login("alice", PASSWORD);
    expect(attempts.windows.has("alice")).toBe(false);

    // A full allowance again: two more failures do not lock.
    await rejectionOf(service.login("alice", WRONG));
    await rejectionOf(service.login("alice", WRONG));
    await expect(service.login("alice", PASSWORD)).resolves.toMatchObject({ tokenType: "Bearer" });
  });

  it("applies a changed policy on the next attempt", async () => {
    const { service, policySource } = await setUp({ maxAttempts: 5, windowSeconds: 900 });
    await rejectionOf(service.login("alice", WRONG));
    await rejectionOf(service.login("alice", WRONG));
    expect(await rejectionOf(service.login("alice", WRONG))).toBeInstanceOf(UnauthorizedError);

    policySource.policy = { maxAttempts: 3, windowSeconds: 900 };

    expect(await rejectionOf(service.login("alice", PASSWORD))).toBeInstanceOf(TooManyRequestsError);
  });

  it("lets no more than maxAttempts concurrent guesses reach the password check", async () => {
    const { service, verifySpy } = await setUp({ maxAttempts: 3, windowSeconds: 900 });
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => rejectionOf(service.login("alice", WRONG))),
    );
    const unauthorized = outcomes.filter((error) => error instanceof UnauthorizedError).length;
    const throttled = outcomes.filter((error) => error instanceof TooManyRequestsError).length;
    expect(unauthorized).toBeLessThanOrEqual(3);
    expect(unauthorized + throttled).toBe(10);
    expect(verifySpy).toHaveBeenCalledTimes(unauthorized);
  });
});

describe("decideAttempt", () => {
  const policy = { maxAttempts: 2, windowSeconds: 100 };

  it("opens a window on the first attempt", () => {
    expect(decideAttempt(undefined, policy, 1000)).toEqual({
      kind: "allowed",
      next: { attempts: 1, windowStartedAt: 1000 },
      expiresAt: 1100,
    });
  });

  it("counts within the window and keeps its end", () => {
    expect(decideAttempt({ attempts: 1, windowStartedAt: 1000 }, policy, 1050)).toEqual({
      kind: "allowed",
      next: { attempts: 2, windowStartedAt: 1000 },
      expiresAt: 1100,
    });
  });

  it("locks until the window ends", () => {
    expect(decideAttempt({ attempts: 2, windowStartedAt: 1000 }, policy, 1099)).toEqual({
      kind: "locked",
      retryAfterSeconds: 1,
    });
  });

  it("treats an ended window as none", () => {
    expect(decideAttempt({ attempts: 9, windowStartedAt: 1000 }, policy, 1100)).toMatchObject({
      kind: "allowed",
      next: { attempts: 1, windowStartedAt: 1100 },
    });
  });
});

describe("LoginService moving hashes to the current parameters", () => {
  it("rehashes a password stored with older parameters on a successful login", async () => {
    const stronger = new ScryptPasswordHasher({ log2Cost: 5 });
    const { users, service } = await setUp(undefined, stronger);
    const alice = users.users.get("alice");
    if (!alice) throw new Error("alice missing");
    alice.passwordHash = await new ScryptPasswordHasher({ log2Cost: 4 }).hash(PASSWORD);

    await service.login("alice", PASSWORD);
    const upgraded = users.users.get("alice")?.passwordHash ?? "";
    expect(upgraded).toMatch(/^\$scrypt\$ln=5,/);
    await expect(stronger.verify(PASSWORD, upgraded)).resolves.toBe(true);
    await expect(service.login("alice", PASSWORD)).resolves.toMatchObject({ tokenType: "Bearer" });
  });

  it("leaves a current hash, and a failed login, untouched", async () => {
    const weaker = new ScryptPasswordHasher({ log2Cost: 4 });
    const stronger = new ScryptPasswordHasher({ log2Cost: 5 });
    const { users, service } = await setUp(undefined, stronger);
    const current = users.users.get("alice")?.passwordHash;
    await service.login("alice", PASSWORD);
    expect(users.users.get("alice")?.passwordHash).toBe(current);

    const alice = users.users.get("alice");
    if (!alice) throw new Error("alice missing");
    alice.passwordHash = await weaker.hash(PASSWORD);
    const old = alice.passwordHash;
    await expect(service.login("alice", WRONG)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(users.users.get("alice")?.passwordHash).toBe(old);
  });

  it("lets a concurrent change of the hash win over the upgrade", async () => {
    const weaker = new ScryptPasswordHasher({ log2Cost: 4 });
    const stronger = new ScryptPasswordHasher({ log2Cost: 5 });
    const { users, service } = await setUp(undefined, stronger);
    const alice = users.users.get("alice");
    if (!alice) throw new Error("alice missing");
    alice.passwordHash = await weaker.hash(PASSWORD);
    const changedMeanwhile = await stronger.hash("another long password");
    const replace = users.replacePasswordHash.bind(users);
    jest.spyOn(users, "replacePasswordHash").mockImplementationOnce(async (name, expected, next) => {
      alice.passwordHash = changedMeanwhile;
      return replace(name, expected, next);
    });
    await expect(service.login("alice", PASSWORD)).resolves.toMatchObject({ tokenType: "Bearer" });
    expect(users.users.get("alice")?.passwordHash).toBe(changedMeanwhile);
  });
});
