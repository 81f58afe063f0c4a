import { admit, afterFailure, backoffSeconds, emptyGuard } from "../../../src/auth/domain/lockout";
import { createLoginService, INVALID_CREDENTIALS } from "../../../src/auth/domain/login";
import { ScryptPasswordHasher } from "../../../src/auth/domain/password-hasher";
import type { LockoutPolicy } from "../../../src/auth/domain/ports";
import { createTokenIssuer, createTokenVerifier } from "../../../src/auth/domain/tokens";
import { type DomainError, TooManyRequestsError, UnauthorizedError } from "../../../src/shared/errors";
import { errorToResult } from "../../../src/shared/http";
import {
  FixedSigningKeySource,
  InMemoryLoginRecordStore,
  InMemoryUserRepository,
  ManualClock,
  MutableLockoutPolicySource,
  rejectionOf,
} from "./fakes";

const PASSWORD = "a long enough password";
const WRONG = "not the right password";
const POLICY: LockoutPolicy = {
  maxAttempts: 5,
  windowSeconds: 900,
  backoffMaxSeconds: 180,
  knownAddressSeconds: 30 * 86_400,
};
const HOME = "198.51.100.7";
const ATTACKER = "203.0.113.66";
const address = (n: number) => `192.0.2.${n}`;

async function setUp(
  policy: Partial<LockoutPolicy> = {},
  hasher = new ScryptPasswordHasher({ log2Cost: 4 }),
) {
  const clock = new ManualClock();
  const users = new InMemoryUserRepository();
  const records = new InMemoryLoginRecordStore(users);
  const policySource = new MutableLockoutPolicySource({ ...POLICY, ...policy });
  const keys = new FixedSigningKeySource();
  await users.create({
    userId: "user-1",
    username: "alice",
    passwordHash: await hasher.hash(PASSWORD),
    createdAt: new Date(clock.now()).toISOString(),
  });
  const verifySpy = jest.spyOn(hasher, "verify");
  const service = createLoginService({
    records,
    policy: policySource,
    hasher,
    tokens: createTokenIssuer({ keys, ttlSeconds: 3600, clock: clock.now }),
    clock: clock.now,
  });
  const verifier = createTokenVerifier({ keys, clock: clock.now });
  return { clock, users, records, policySource, service, verifier, verifySpy };
}

const retryAfter = (error: unknown) => Number(errorToResult(error).headers?.["Retry-After"]);

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
    const issued = await service.login("alice", PASSWORD, HOME);
    expect(issued).toMatchObject({ tokenType: "Bearer", expiresIn: 3600 });
    await expect(verifier.verify(issued.token)).resolves.toEqual({ userId: "user-1", username: "alice" });
  });

  it("answers an unknown user exactly like a wrong password, after running the KDF and the same write", async () => {
    const { service, verifySpy, records } = await setUp();
    const wrongPassword = await rejectionOf(service.login("alice", WRONG, HOME));
    const afterWrong = records.requests;
    const unknownUser = await rejectionOf(service.login("mallory", WRONG, HOME));

    expect(wrongPassword).toBeInstanceOf(UnauthorizedError);
    expect(describeError(unknownUser)).toEqual(describeError(wrongPassword));
    expect(describeError(unknownUser)).toMatchObject({ status: 401, message: INVALID_CREDENTIALS });
    expect(verifySpy).toHaveBeenCalledTimes(2);
    expect(verifySpy.mock.calls[1]?.[1]).toMatch(/^\$scrypt\$ln=4,/);
    expect(records.requests - afterWrong).toBe(afterWrong);
  });

  it("locks the attacking address after maxAttempts failures, with Retry-After for the rest of its window", async () => {
    const { service, clock } = await setUp();
    for (let attempt = 0; attempt < 5; attempt++) {
      expect(await rejectionOf(service.login("alice", WRONG, ATTACKER))).toBeInstanceOf(UnauthorizedError);
      clock.advanceSeconds(10);
    }
    const locked = await rejectionOf(service.login("alice", PASSWORD, ATTACKER));
    expect(locked).toBeInstanceOf(TooManyRequestsError);
    expect(errorToResult(locked).status).toBe(429);
    // The address's window opened at t=0; 50 seconds have passed.
    expect(retryAfter(locked)).toBe(850);
  });

  it("five failures from one address do not stop the right password from another address", async () => {
    const { service } = await setUp();
    for (let attempt = 0; attempt < 5; attempt++) await rejectionOf(service.login("alice", WRONG, ATTACKER));
    expect(await rejectionOf(service.login("alice", WRONG, ATTACKER))).toBeInstanceOf(TooManyRequestsError);
    await expect(service.login("alice", PASSWORD, HOME)).resolves.toMatchObject({ tokenType: "Bearer" });
  });

  it("failures spread over 20 addresses get a growing Retry-After; the right password passes once it has", async () => {
    const { service, clock } = await setUp();
    const delays: number[] = [];
    for (let n = 1; n <= 20; n++) {
      const outcome = await rejectionOf(service.login("alice", WRONG, address(n)));
      if (outcome instanceof TooManyRequestsError) {
        delays.push(retryAfter(outcome));
        clock.advanceSeconds(retryAfter(outcome));
        expect(await rejectionOf(service.login("alice", WRONG, address(n)))).toBeInstanceOf(
          UnauthorizedError,
        );
      } else {
        expect(outcome).toBeInstanceOf(UnauthorizedError);
      }
    }
    // Five free, then 1, 2, 4 ... capped at 180 s.
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 180, 180, 180, 180, 180, 180]);
    const waiting = await rejectionOf(service.login("alice", PASSWORD, address(99)));
    expect(retryAfter(waiting)).toBe(180);
    clock.advanceSeconds(180);
    await expect(service.login("alice", PASSWORD, address(99))).resolves.toMatchObject({
      tokenType: "Bearer",
    });
  });

  it("an address that logged in before is not slowed by the others' failures", async () => {
    const { service, clock } = await setUp();
    await service.login("alice", PASSWORD, HOME);
    clock.advanceSeconds(3600);
    for (let n = 1; n <= 12; n++) await rejectionOf(service.login("alice", WRONG, address(n)));
    expect(await rejectionOf(service.login("alice", PASSWORD, address(50)))).toBeInstanceOf(
      TooManyRequestsError,
    );
    await expect(service.login("alice", PASSWORD, HOME)).resolves.toMatchObject({ tokenType: "Bearer" });
    // Known for knownAddressSeconds only.
    clock.advanceSeconds(31 * 86_400);
    for (let n = 1; n <= 12; n++) await rejectionOf(service.login("alice", WRONG, address(n)));
    expect(await rejectionOf(service.login("alice", PASSWORD, HOME))).toBeInstanceOf(TooManyRequestsError);
  });

  it("counts failures for unknown usernames too, so lock-out reveals nothing", async () => {
    const { service } = await setUp({ maxAttempts: 2 });
    await rejectionOf(service.login("nobody", WRONG, ATTACKER));
    await rejectionOf(service.login("nobody", WRONG, ATTACKER));
    expect(await rejectionOf(service.login("nobody", WRONG, ATTACKER))).toBeInstanceOf(TooManyRequestsError);
  });

  it("starts afresh once the window has passed", async () => {
    const { service, clock } = await setUp({ maxAttempts: 2, windowSeconds: 60 });
    await rejectionOf(service.login("alice", WRONG, ATTACKER));
    await rejectionOf(service.login("alice", WRONG, ATTACKER));
    expect(await rejectionOf(service.login("alice", PASSWORD, ATTACKER))).toBeInstanceOf(
      TooManyRequestsError,
    );
    clock.advanceSeconds(60);
    await expect(service.login("alice", PASSWORD, ATTACKER)).resolves.toMatchObject({ tokenType: "Bearer" });
  });

  it("forgives an address's failures on success", async () => {
    const { service } = await setUp({ maxAttempts: 3 });
    await rejectionOf(service.login("alice", WRONG, HOME));
    await rejectionOf(service.login("alice", WRONG, HOME));
    await service.login("alice", PASSWORD, HOME);
    await rejectionOf(service.login("alice", WRONG, HOME));
    await rejectionOf(service.login("alice", WRONG, HOME));
    await expect(service.login("alice", PASSWORD, HOME)).resolves.toMatchObject({ tokenType: "Bearer" });
  });

  it("applies a changed policy on the next attempt", async () => {
    const { service, policySource } = await setUp();
    for (let attempt = 0; attempt < 3; attempt++) await rejectionOf(service.login("alice", WRONG, ATTACKER));
    policySource.policy = { ...POLICY, maxAttempts: 3 };
    expect(await rejectionOf(service.login("alice", PASSWORD, ATTACKER))).toBeInstanceOf(
      TooManyRequestsError,
    );
  });

  it("of parallel guesses read against one record, only recorded ones are answered: none is lost", async () => {
    const { service, records } = await setUp({ maxAttempts: 3 });
    // The right password is among them: a guess that lost the race must not reveal it.
    const guesses = Array.from({ length: 10 }, (_, n) => (n === 7 ? PASSWORD : `${WRONG} ${n}`));
    const outcomes = await Promise.all(
      guesses.map((guess) => rejectionOf(service.login("alice", guess, ATTACKER)).catch(() => "token")),
    );
    const answered = outcomes.filter((outcome) => !(outcome instanceof TooManyRequestsError)).length;
    expect(answered).toBe(1);
    expect(records.guards.get("alice")?.version).toBe(1);
  });

  it("does at most two store requests on every path", async () => {
    const { service, records, clock } = await setUp({ maxAttempts: 2 });
    const requestsOf = async (attempt: () => Promise<unknown>) => {
      const before = records.requests;
      await attempt().catch(() => undefined);
      return records.requests - before;
    };
    expect(await requestsOf(() => service.login("alice", PASSWORD, HOME))).toBe(2);
    expect(await requestsOf(() => service.login("alice", WRONG, ATTACKER))).toBe(2);
    expect(await requestsOf(() => service.login("ghost", WRONG, ATTACKER))).toBe(2);
    await rejectionOf(service.login("alice", WRONG, ATTACKER));
    expect(await requestsOf(() => service.login("alice", PASSWORD, ATTACKER))).toBe(1);
    clock.advanceSeconds(1);
  });
});

describe("lock-out policy (pure)", () => {
  it("doubles the username-wide delay beyond the allowance, up to the cap", () => {
    expect([5, 6, 7, 8, 13, 14, 100].map((failures) => backoffSeconds(failures, POLICY))).toEqual([
      0, 1, 2, 4, 128, 180, 180,
    ]);
  });

  it("keeps counting while failures keep coming, and starts again after a quiet window", () => {
    let guard = emptyGuard();
    for (let n = 0; n < 8; n++) guard = afterFailure(guard, `a${n}`, POLICY, 1000 + n * 100);
    expect(guard.failures).toBe(8);
    guard = afterFailure(guard, "b", POLICY, 1700 + 900);
    expect(guard.failures).toBe(1);
    expect(admit(guard, "c", POLICY, 2600)).toEqual({ kind: "allowed" });
  });

  it("bounds what it keeps per username however many addresses fail", () => {
    let guard = emptyGuard();
    for (let n = 0; n < 500; n++) guard = afterFailure(guard, `a${n}`, POLICY, 1000 + n);
    expect(Object.keys(guard.addresses).length).toBeLessThanOrEqual(50);
  });
});

describe("LoginService moving hashes to the current parameters", () => {
  it("rehashes a password stored with older parameters, in the login's one write", async () => {
    const stronger = new ScryptPasswordHasher({ log2Cost: 5 });
    const { users, service, records } = await setUp(undefined, stronger);
    const alice = users.users.get("alice");
    if (!alice) throw new Error("alice missing");
    alice.passwordHash = await new ScryptPasswordHasher({ log2Cost: 4 }).hash(PASSWORD);

    const before = records.requests;
    await service.login("alice", PASSWORD, HOME);
    expect(records.requests - before).toBe(2);
    const upgraded = users.users.get("alice")?.passwordHash ?? "";
    expect(upgraded).toMatch(/^\$scrypt\$ln=5,/);
    await expect(stronger.verify(PASSWORD, upgraded)).resolves.toBe(true);
    await expect(service.login("alice", PASSWORD, HOME)).resolves.toMatchObject({ tokenType: "Bearer" });
  });

  it("leaves a current hash, and a failed login, untouched", async () => {
    const stronger = new ScryptPasswordHasher({ log2Cost: 5 });
    const { users, service } = await setUp(undefined, stronger);
    const current = users.users.get("alice")?.passwordHash;
    await service.login("alice", PASSWORD, HOME);
    expect(users.users.get("alice")?.passwordHash).toBe(current);
    const alice = users.users.get("alice");
    if (!alice) throw new Error("alice missing");
    alice.passwordHash = await new ScryptPasswordHasher({ log2Cost: 4 }).hash(PASSWORD);
    const old = alice.passwordHash;
    await expect(service.login("alice", WRONG, HOME)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(users.users.get("alice")?.passwordHash).toBe(old);
  });
});
