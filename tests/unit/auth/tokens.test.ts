import { createHash, randomBytes } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from "jose";
import { signingKeyFrom } from "../../../src/auth/domain/signing-key";
import {
  createTokenIssuer,
  createTokenVerifier,
  InvalidTokenError,
  TOKEN_CLOCK_SKEW_SECONDS,
} from "../../../src/auth/domain/tokens";
import {
  CachingSigningKeySource,
  FixedSigningKeySource,
  ManualClock,
  RotatingSecret,
  rejectionOf,
} from "./fakes";

const subject = { userId: "user-1", username: "alice" };
const KEY = new TextEncoder().encode("s".repeat(64));

function setUp(ttlSeconds = 3600) {
  const clock = new ManualClock();
  const keys = new FixedSigningKeySource(KEY);
  return {
    clock,
    issuer: createTokenIssuer({ keys, ttlSeconds, clock: clock.now }),
    verifier: createTokenVerifier({ keys, clock: clock.now }),
  };
}

describe("tokens", () => {
  it("issues an HS256 JWT with the agreed claims, which verifies", async () => {
    const { issuer, verifier, clock } = setUp(600);
    const issued = await issuer.issue(subject);

    expect(issued).toMatchObject({ tokenType: "Bearer", expiresIn: 600 });
    expect(decodeProtectedHeader(issued.token)).toEqual({
      alg: "HS256",
      typ: "JWT",
      kid: signingKeyFrom(KEY).id,
    });
    const claims = decodeJwt(issued.token);
    const issuedAt = clock.now() / 1000;
    expect(claims).toMatchObject({ sub: "user-1", username: "alice", iss: "meridian", iat: issuedAt });
    expect(claims.exp).toBe(issuedAt + 600);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    await expect(verifier.verify(issued.token)).resolves.toEqual(subject);
  });

  it("gives every token its own jti", async () => {
    const { issuer } = setUp();
    const [first, second] = await Promise.all([issuer.issue(subject), issuer.issue(subject)]);
    expect(decodeJwt(first.token).jti).not.toBe(decodeJwt(second.token).jti);
  });

  it("rejects an expired token", async () => {
    const { issuer, verifier, clock } = setUp(60);
    const { token } = await issuer.issue(subject);
    clock.advanceSeconds(61);
    expect(await rejectionOf(verifier.verify(token))).toBeInstanceOf(InvalidTokenError);
  });

  it("rejects a token whose payload was changed", async () => {
    const { issuer, verifier } = setUp();
    const { token } = await issuer.issue(subject);
    const [header, , signature] = token.split(".");
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...decodeJwt(token), sub: "user-2", username: "mallory" }),
    ).toString("base64url");
    const error = await rejectionOf(verifier.verify(`${header}.${forgedPayload}.${signature}`));
    expect(error).toBeInstanceOf(InvalidTokenError);
  });

  it('rejects alg "none"', async () => {
    const { verifier, clock } = setUp();
    const unsecured = new UnsecuredJWT({ username: "alice" })
      .setSubject("user-1")
      .setIssuer("meridian")
      .setIssuedAt(clock.now() / 1000)
      .setExpirationTime(clock.now() / 1000 + 60)
      .setJti("x")
      .encode();
    expect(await rejectionOf(verifier.verify(unsecured))).toBeInstanceOf(InvalidTokenError);
  });

  it("rejects another key, another issuer and another HMAC algorithm", async () => {
    const { verifier, clock } = setUp();
    const now = clock.now() / 1000;
    const sign = (alg: string, issuer: string, key: Uint8Array) =>
      new SignJWT({ username: "alice" })
        .setProtectedHeader({ alg })
        .setSubject("user-1")
        .setIssuer(issuer)
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .setJti("x")
        .sign(key);

    const otherKey = new TextEncoder().encode("o".repeat(64));
    for (const token of [
      await sign("HS256", "meridian", otherKey),
      await sign("HS256", "someone-else", KEY),
      await sign("HS512", "meridian", KEY),
    ]) {
      expect(await rejectionOf(verifier.verify(token))).toBeInstanceOf(InvalidTokenError);
    }
    // The control: the same construction with the right key, issuer and algorithm passes.
    await expect(verifier.verify(await sign("HS256", "meridian", KEY))).resolves.toEqual(subject);
  });

  describe("a lifetime bound, even for tokens signed with the real key", () => {
    const YEAR = 365 * 24 * 3600;
    const signed = (iat: number, exp: number) =>
      new SignJWT({ username: "alice" })
        .setProtectedHeader({ alg: "HS256", kid: signingKeyFrom(KEY).id })
        .setSubject("user-1")
        .setIssuer("meridian")
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .setJti("x")
        .sign(KEY);
    const verifierWithLifetime = (clock: ManualClock, maxLifetimeSeconds: number) =>
      createTokenVerifier({
        keys: new FixedSigningKeySource(KEY),
        clock: clock.now,
        limits: { maxLifetimeSeconds },
      });

    it("rejects exp 100 years ahead", async () => {
      const clock = new ManualClock();
      const now = clock.now() / 1000;
      const error = await rejectionOf(
        verifierWithLifetime(clock, 3600).verify(await signed(now, now + 100 * YEAR)),
      );
      expect(error).toBeInstanceOf(InvalidTokenError);
      expect((error as Error).message).toMatch(/lifetime/);
    });

    it("rejects iat a year in the future, and a minute beyond the allowed skew", async () => {
      expect.hasAssertions();
      const clock = new ManualClock();
      const now = clock.now() / 1000;
      const verifier = verifierWithLifetime(clock, 3600);
      for (const iat of [now + YEAR, now + TOKEN_CLOCK_SKEW_SECONDS + 60]) {
        const error = await rejectionOf(verifier.verify(await signed(iat, iat + 600)));
        expect(error).toBeInstanceOf(InvalidTokenError);
        expect((error as Error).message).toMatch(/future/);
      }
    });

    it("accepts iat within the skew and a lifetime of exactly the configured one", async () => {
      const clock = new ManualClock();
      const now = clock.now() / 1000;
      const verifier = verifierWithLifetime(clock, 3600);
      await expect(verifier.verify(await signed(now + TOKEN_CLOCK_SKEW_SECONDS, now + 600))).resolves.toEqual(
        subject,
      );
      await expect(verifier.verify(await signed(now - 10, now - 10 + 3600))).resolves.toEqual(subject);
      expect(await rejectionOf(verifier.verify(await signed(now - 10, now - 10 + 3601)))).toBeInstanceOf(
        InvalidTokenError,
      );
    });

    it("what the issuer issues always fits the bound it is configured with", async () => {
      const clock = new ManualClock();
      const issuer = createTokenIssuer({
        keys: new FixedSigningKeySource(KEY),
        ttlSeconds: 900,
        clock: clock.now,
      });
      const { token } = await issuer.issue(subject);
      await expect(verifierWithLifetime(clock, 900).verify(token)).resolves.toEqual(subject);
    });
  });

  it("rejects garbage as an invalid token, not as a server error", async () => {
    expect.hasAssertions();
    const { verifier } = setUp();
    for (const token of ["", "abc", "a.b.c", "e30.e30."]) {
      expect(await rejectionOf(verifier.verify(token))).toBeInstanceOf(InvalidTokenError);
    }
  });

  it("refuses a signing key that is too short (a configuration fault, not a bad token)", async () => {
    const weak = new FixedSigningKeySource(new TextEncoder().encode("short"));
    const error = await rejectionOf(createTokenIssuer({ keys: weak, ttlSeconds: 60 }).issue(subject));
    expect(error).not.toBeInstanceOf(InvalidTokenError);
    expect((error as Error).message).toMatch(/at least 32 bytes/);
    expect((error as Error).message).not.toContain("short");
  });
});

const newKey = () => new Uint8Array(randomBytes(48));

/**
 * Login and the authorizer each cache the keys (CachingSigningKeySource: until
 * a refresh), so after a rotation either may hold the keys of before it.
 */
function rotationSetUp() {
  const clock = new ManualClock();
  const secret = new RotatingSecret(newKey());
  const verifierKeys = new CachingSigningKeySource(secret);
  return {
    clock,
    secret,
    verifierKeys,
    verifier: createTokenVerifier({ keys: verifierKeys, clock: clock.now }),
    /** A login that reads the secret now, as one in a fresh execution environment does. */
    issueNow: () =>
      createTokenIssuer({
        keys: new CachingSigningKeySource(secret),
        ttlSeconds: 3600,
        clock: clock.now,
      }).issue(subject),
  };
}

/** A token signed with `key`, with the header given (no `kid` when not given). */
function signed(key: Uint8Array, clock: ManualClock, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(clock.now() / 1000);
  return new SignJWT({ username: subject.username })
    .setProtectedHeader({ alg: "HS256", typ: "JWT", ...header })
    .setSubject(subject.userId)
    .setIssuer("meridian")
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .setJti("x")
    .sign(key);
}

describe("signing key ids and rotation", () => {
  it("names the key in kid: the same for every token of one key, other for another key, and no hash of the key", async () => {
    const { secret, issueNow } = rotationSetUp();
    const kids = [await issueNow(), await issueNow()].map(
      (issued) => decodeProtectedHeader(issued.token).kid,
    );
    expect(kids[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(kids[1]).toBe(kids[0]);
    expect(signingKeyFrom(secret.current).id).toBe(kids[0]);
    expect(createHash("sha256").update(secret.current).digest("hex")).not.toContain(String(kids[0]));

    secret.rotate(newKey());
    expect(decodeProtectedHeader((await issueNow()).token).kid).not.toBe(kids[0]);
  });

  it("accepts tokens of the current and of the previous key", async () => {
    const { secret, verifier, verifierKeys, issueNow } = rotationSetUp();
    const before = await issueNow();
    secret.rotate(newKey());
    const after = await issueNow();

    await expect(verifier.verify(before.token)).resolves.toEqual(subject);
    await expect(verifier.verify(after.token)).resolves.toEqual(subject);
    expect(verifierKeys.refreshes).toBe(0);
  });

  it("reads the keys again once for a kid it does not know, and then accepts the new key's tokens", async () => {
    const { secret, verifier, verifierKeys, issueNow } = rotationSetUp();
    await expect(verifier.verify((await issueNow()).token)).resolves.toEqual(subject);
    secret.rotate(newKey());
    const afterRotation = await issueNow();

    await expect(verifier.verify(afterRotation.token)).resolves.toEqual(subject);
    expect(verifierKeys.refreshes).toBe(1);
    await expect(verifier.verify((await issueNow()).token)).resolves.toEqual(subject);
    expect(verifierKeys.refreshes).toBe(1);
  });

  it("refreshes at most once per 30 s however many unknown kids arrive", async () => {
    const { verifier, verifierKeys, clock } = rotationSetUp();
    const forged = () => signed(newKey(), clock, { kid: randomBytes(8).toString("hex") });
    const flood = await Promise.all(Array.from({ length: 50 }, forged));

    const outcomes = await Promise.all(flood.map((token) => rejectionOf(verifier.verify(token))));
    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(InvalidTokenError);
    expect(verifierKeys.refreshes).toBe(1);

    clock.advanceSeconds(29);
    expect(await rejectionOf(verifier.verify(await forged()))).toBeInstanceOf(InvalidTokenError);
    expect(verifierKeys.refreshes).toBe(1);
    clock.advanceSeconds(1);
    expect(await rejectionOf(verifier.verify(await forged()))).toBeInstanceOf(InvalidTokenError);
    expect(verifierKeys.refreshes).toBe(2);
  });

  it("accepts a token without kid (issued before tokens had one) signed with the current or the previous key", async () => {
    const { secret, verifier, verifierKeys, clock } = rotationSetUp();
    const old = secret.current;
    secret.rotate(newKey());

    await expect(verifier.verify(await signed(secret.current, clock))).resolves.toEqual(subject);
    await expect(verifier.verify(await signed(old, clock))).resolves.toEqual(subject);
    expect(await rejectionOf(verifier.verify(await signed(newKey(), clock)))).toBeInstanceOf(
      InvalidTokenError,
    );
    expect(verifierKeys.refreshes).toBe(0);
  });

  it("rejects the tokens of a key rotated out twice, with or without kid", async () => {
    const { secret, clock, issueNow } = rotationSetUp();
    const first = secret.current;
    const firstToken = (await issueNow()).token;
    secret.rotate(newKey());
    const secondToken = (await issueNow()).token;
    secret.rotate(newKey());
    // An authorizer that has read the keys since the second rotation.
    const verifier = createTokenVerifier({ keys: new CachingSigningKeySource(secret), clock: clock.now });

    expect(await rejectionOf(verifier.verify(firstToken))).toBeInstanceOf(InvalidTokenError);
    expect(await rejectionOf(verifier.verify(await signed(first, clock)))).toBeInstanceOf(InvalidTokenError);
    await expect(verifier.verify(secondToken)).resolves.toEqual(subject);
    await expect(verifier.verify((await issueNow()).token)).resolves.toEqual(subject);
  });

  it("rejects a kid that is not a string", async () => {
    const { secret, verifier, clock } = rotationSetUp();
    const token = await signed(secret.current, clock, { kid: 7 });
    expect(await rejectionOf(verifier.verify(token))).toBeInstanceOf(InvalidTokenError);
  });

  it("checks the length of every key: a short current key fails, a short previous one is not accepted", async () => {
    const { secret, verifier, clock } = rotationSetUp();
    const short = new TextEncoder().encode("too short");
    secret.rotate(short);
    const error = await rejectionOf(verifier.verify(await signed(short, clock)));
    expect(error).not.toBeInstanceOf(InvalidTokenError);
    expect((error as Error).message).toMatch(/at least 32 bytes/);

    secret.rotate(newKey());
    const fresh = createTokenVerifier({ keys: new CachingSigningKeySource(secret), clock: clock.now });
    for (const header of [{}, { kid: signingKeyFrom(short).id }]) {
      expect(await rejectionOf(fresh.verify(await signed(short, clock, header)))).toBeInstanceOf(
        InvalidTokenError,
      );
    }
    await expect(fresh.verify(await signed(secret.current, clock))).resolves.toEqual(subject);
  });
});
