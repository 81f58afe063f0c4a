import { randomUUID } from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import type { Clock, SigningKeySource } from "./ports";

export const TOKEN_ISSUER = "meridian";
const ALGORITHM = "HS256";
/** HS256 keys shorter than the hash output weaken the MAC (RFC 7518 section 3.2). */
const MIN_KEY_BYTES = 32;

export interface TokenSubject {
  userId: string;
  username: string;
}

export interface IssuedToken {
  token: string;
  tokenType: "Bearer";
  expiresIn: number;
}

/** The token is missing, malformed, forged or expired; the caller is not authenticated. */
export class InvalidTokenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InvalidTokenError";
  }
}

/** Signs access tokens; used by the login function only. */
export class TokenIssuer {
  constructor(
    private readonly keys: SigningKeySource,
    private readonly ttlSeconds: number,
    private readonly clock: Clock = Date.now,
  ) {}

  async issue(subject: TokenSubject): Promise<IssuedToken> {
    const key = await signingKey(this.keys);
    const issuedAt = Math.floor(this.clock() / 1000);
    const token = await new SignJWT({ username: subject.username })
      .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
      .setSubject(subject.userId)
      .setIssuer(TOKEN_ISSUER)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .setJti(randomUUID())
      .sign(key);
    return { token, tokenType: "Bearer", expiresIn: this.ttlSeconds };
  }
}

/** Checks access tokens; used by the authorizer, which needs the key but no token lifetime. */
export class TokenVerifier {
  constructor(
    private readonly keys: SigningKeySource,
    private readonly clock: Clock = Date.now,
  ) {}

  async verify(token: string): Promise<TokenSubject> {
    const key = await signingKey(this.keys);
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        issuer: TOKEN_ISSUER,
        requiredClaims: ["sub", "exp", "iat", "jti"],
        currentDate: new Date(this.clock()),
      });
      const { sub, username } = payload;
      if (typeof sub !== "string" || sub === "" || typeof username !== "string" || username === "") {
        throw new InvalidTokenError("Token lacks a subject or username");
      }
      return { userId: sub, username };
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      // Every jose failure (bad signature, expiry, claims, malformed input) is
      // a JOSEError; anything else is our own fault and must not read as 401.
      if (error instanceof joseErrors.JOSEError) {
        throw new InvalidTokenError(`Token rejected: ${error.code}`, { cause: error });
      }
      throw error;
    }
  }
}

async function signingKey(keys: SigningKeySource): Promise<Uint8Array> {
  const key = await keys.signingKey();
  if (key.byteLength < MIN_KEY_BYTES) {
    throw new Error(`Token signing key must be at least ${MIN_KEY_BYTES} bytes`);
  }
  return key;
}
