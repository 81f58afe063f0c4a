import { randomUUID } from "node:crypto";
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { UnauthorizedError } from "../../shared/errors";
import type { Clock, SigningKey, SigningKeySource, SigningKeys } from "./ports";
import { MIN_KEY_BYTES } from "./signing-key";

const TOKEN_ISSUER = "meridian";
const ALGORITHM = "HS256";
/**
 * A token naming a key the verifier does not hold makes it read the keys
 * anew, as the key may have just been rotated; at most this often, so tokens
 * with made-up key ids cannot turn into a flood of reads of the secret.
 */
const DEFAULT_MIN_SECONDS_BETWEEN_REFRESHES = 30;

/** How far ahead of the verifier's clock a token's `iat` may be: clocks of two functions differ a little. */
export const TOKEN_CLOCK_SKEW_SECONDS = 60;
/** The longest TokenTtlSeconds the template allows; the bound when none is configured. */
const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 86_400;

export interface TokenLimits {
  /** The configured token lifetime: a token whose `exp - iat` is longer was not issued by login. */
  maxLifetimeSeconds: number;
}

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
export class InvalidTokenError extends UnauthorizedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InvalidTokenError";
  }
}

export interface TokenIssuerDependencies {
  keys: SigningKeySource;
  ttlSeconds: number;
  clock?: Clock;
}

export interface TokenIssuer {
  issue(subject: TokenSubject): Promise<IssuedToken>;
}

/** Signs access tokens with the current key, named in the `kid` header; used by the login function only. */
export function createTokenIssuer({
  keys,
  ttlSeconds,
  clock = Date.now,
}: TokenIssuerDependencies): TokenIssuer {
  return {
    async issue(subject) {
      const { current } = checked(await keys.signingKeys());
      const issuedAt = Math.floor(clock() / 1000);
      const token = await new SignJWT({ username: subject.username })
        .setProtectedHeader({ alg: ALGORITHM, typ: "JWT", kid: current.id })
        .setSubject(subject.userId)
        .setIssuer(TOKEN_ISSUER)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .setJti(randomUUID())
        .sign(current.key);
      return { token, tokenType: "Bearer", expiresIn: ttlSeconds };
    },
  };
}

export interface TokenVerifierDependencies {
  keys: SigningKeySource;
  clock?: Clock;
  minSecondsBetweenRefreshes?: number;
  limits?: TokenLimits;
}

export interface TokenVerifier {
  verify(token: string): Promise<TokenSubject>;
}

/**
 * Checks access tokens against the current and the previous key; used by the
 * authorizer, which needs the keys but no token lifetime.
 */
export function createTokenVerifier({
  keys,
  clock = Date.now,
  minSecondsBetweenRefreshes = DEFAULT_MIN_SECONDS_BETWEEN_REFRESHES,
  limits = { maxLifetimeSeconds: DEFAULT_MAX_TOKEN_LIFETIME_SECONDS },
}: TokenVerifierDependencies): TokenVerifier {
  let lastRefreshAt: number | undefined;

  async function verifyWith(token: string, key: SigningKey): Promise<TokenSubject> {
    const { payload } = await jwtVerify(token, key.key, {
      algorithms: [ALGORITHM],
      issuer: TOKEN_ISSUER,
      requiredClaims: ["sub", "exp", "iat", "jti"],
      currentDate: new Date(clock()),
    });
    const { sub, username } = payload;
    if (typeof sub !== "string" || sub === "" || typeof username !== "string" || username === "") {
      throw new InvalidTokenError("Token lacks a subject or username");
    }
    checkLifetime(payload.iat, payload.exp);
    return { userId: sub, username };
  }

  /**
   * A token login could have issued: not from the future, and living no longer
   * than tokens are configured to. A key that leaked (or a bug that signed the
   * wrong claims) then cannot mint tokens that outlive the next rotations.
   */
  function checkLifetime(issuedAt: number | undefined, expiresAt: number | undefined): void {
    // jose has checked both are numbers (required claims) and that exp has not passed.
    const iat = issuedAt ?? Number.NaN;
    const exp = expiresAt ?? Number.NaN;
    if (!(iat <= clock() / 1000 + TOKEN_CLOCK_SKEW_SECONDS)) {
      throw new InvalidTokenError("Token rejected: issued in the future");
    }
    if (!(exp - iat <= limits.maxLifetimeSeconds)) {
      throw new InvalidTokenError("Token rejected: lifetime longer than tokens are issued for");
    }
  }

  /** Claims the one refresh allowed per interval before anything is awaited, so concurrent calls share it. */
  function mayRefresh(): boolean {
    const now = clock();
    if (lastRefreshAt !== undefined && now - lastRefreshAt < minSecondsBetweenRefreshes * 1000) {
      return false;
    }
    lastRefreshAt = now;
    return true;
  }

  return {
    async verify(token) {
      const keyId = tokenKeyId(token);
      let candidates = candidateKeys(keyId, checked(await keys.signingKeys()));
      if (candidates.length === 0 && mayRefresh()) {
        candidates = candidateKeys(keyId, checked(await keys.signingKeys({ refresh: true })));
      }
      if (candidates.length === 0) throw new InvalidTokenError("Token names an unknown signing key");

      let signatureFailure: unknown;
      for (const key of candidates) {
        try {
          return await verifyWith(token, key);
        } catch (error) {
          // Only a token without a key id has more than one candidate; another
          // key is worth trying only when this one's signature did not match.
          if (!(error instanceof joseErrors.JWSSignatureVerificationFailed)) throw rejection(error);
          signatureFailure = error;
        }
      }
      throw rejection(signatureFailure);
    },
  };
}

/** The `kid` of the token's header; undefined for tokens issued before tokens carried one. */
function tokenKeyId(token: string): string | undefined {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch (error) {
    throw new InvalidTokenError("Token is malformed", { cause: error });
  }
  if (header.kid === undefined) return undefined;
  if (typeof header.kid !== "string" || header.kid === "")
    throw new InvalidTokenError("Token key id is malformed");
  return header.kid;
}

function candidateKeys(keyId: string | undefined, keys: SigningKeys): SigningKey[] {
  const accepted = [keys.current, ...(keys.previous ? [keys.previous] : [])];
  if (keyId === undefined) return accepted;
  const named = accepted.find((key) => key.id === keyId);
  return named ? [named] : [];
}

function rejection(error: unknown): unknown {
  if (error instanceof InvalidTokenError) return error;
  // Every jose failure (bad signature, expiry, claims, malformed input) is
  // a JOSEError; anything else is our own fault and must not read as 401.
  if (error instanceof joseErrors.JOSEError) {
    return new InvalidTokenError(`Token rejected: ${error.code}`, { cause: error });
  }
  return error;
}

/**
 * A short current key is a configuration fault and fails loudly. A short
 * previous key is left out instead: the issuer never signed with it, and
 * failing would keep every request failing after the rotation that fixed it.
 */
function checked(keys: SigningKeys): SigningKeys {
  if (keys.current.key.byteLength < MIN_KEY_BYTES) {
    throw new Error(`Token signing key must be at least ${MIN_KEY_BYTES} bytes`);
  }
  if (keys.previous && keys.previous.key.byteLength < MIN_KEY_BYTES) return { current: keys.current };
  return keys;
}
