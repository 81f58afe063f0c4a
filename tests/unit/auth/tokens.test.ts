import { decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from "jose";
import { InvalidTokenError, TokenIssuer, TokenVerifier } from "../../../src/auth/domain/tokens";
import { FixedSigningKeySource, ManualClock, rejectionOf } from "./fakes";

const subject = { userId: "user-1", username: "alice" };
const KEY = new TextEncoder().encode("s".repeat(64));

function setUp(ttlSeconds = 3600) {
  const clock = new ManualClock();
  const keys = new FixedSigningKeySource(KEY);
  return {
    clock,
    issuer: new TokenIssuer(keys, ttlSeconds, clock.now),
    verifier: new TokenVerifier(keys, clock.now),
  };
}

describe("tokens", () => {
  it("issues an HS256 JWT with the agreed claims, which verifies", async () => {
    const { issuer, verifier, clock } = setUp(600);
    const issued = await issuer.issue(subject);

    expect(issued).toMatchObject({ tokenType: "Bearer", expiresIn: 600 });
    expect(decodeProtectedHeader(issued.token)).toEqual({ alg: "HS256", typ: "JWT" });
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

  it("rejects garbage as an invalid token, not as a server error", async () => {
    const { verifier } = setUp();
    for (const token of ["", "abc", "a.b.c", "e30.e30."]) {
      expect(await rejectionOf(verifier.verify(token))).toBeInstanceOf(InvalidTokenError);
    }
  });

  it("refuses a signing key that is too short (a configuration fault, not a bad token)", async () => {
    const weak = new FixedSigningKeySource(new TextEncoder().encode("short"));
    const error = await rejectionOf(new TokenIssuer(weak, 60).issue(subject));
    expect(error).not.toBeInstanceOf(InvalidTokenError);
    expect((error as Error).message).toMatch(/at least 32 bytes/);
  });
});
