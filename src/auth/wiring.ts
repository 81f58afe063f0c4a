import { loadConfig, nonEmpty, positiveInt } from "../shared/config";
import * as z from "../shared/schema";
import { DynamoDbLoginAttemptStore } from "./adapters/dynamodb-login-attempt-store";
import { DynamoDbUserRepository } from "./adapters/dynamodb-user-repository";
import { SecretsManagerSigningKeySource } from "./adapters/secrets-signing-key-source";
import { SsmLockoutPolicySource } from "./adapters/ssm-lockout-policy-source";
import { LoginService } from "./domain/login";
import { ScryptPasswordHasher } from "./domain/password-hasher";
import { RegistrationService } from "./domain/registration";
import { TokenIssuer, TokenVerifier } from "./domain/tokens";

/**
 * Composition root. One builder per function, each reading only the variables
 * that function's template gives it (the authorizer has no table, for
 * example), called once at the handler's module scope.
 */

/**
 * How long login and the authorizer cache the signing keys: a rotated key
 * signs new tokens, and a key rotated out stops being accepted, within this
 * time. Unset, 300 s, the template's default.
 */
const signingKeyMaxAge = z._default(z.coerce.number().check(z.int(), z.positive()), 300);

export function createRegistrationService(env: NodeJS.ProcessEnv = process.env): RegistrationService {
  const config = loadConfig({ USERS_TABLE_NAME: nonEmpty }, env);
  return new RegistrationService(
    new DynamoDbUserRepository(config.USERS_TABLE_NAME),
    new ScryptPasswordHasher(),
  );
}

export function createLoginService(env: NodeJS.ProcessEnv = process.env): LoginService {
  const config = loadConfig(
    {
      USERS_TABLE_NAME: nonEmpty,
      TOKEN_SECRET_ARN: nonEmpty,
      TOKEN_TTL_SECONDS: positiveInt,
      LOCKOUT_POLICY_PARAMETER: nonEmpty,
      LOCKOUT_POLICY_MAX_AGE_SECONDS: z.coerce.number().check(z.int(), z.nonnegative()),
      TOKEN_SIGNING_KEY_MAX_AGE_SECONDS: signingKeyMaxAge,
    },
    env,
  );
  return new LoginService({
    users: new DynamoDbUserRepository(config.USERS_TABLE_NAME),
    attempts: new DynamoDbLoginAttemptStore(config.USERS_TABLE_NAME),
    policy: new SsmLockoutPolicySource(
      config.LOCKOUT_POLICY_PARAMETER,
      config.LOCKOUT_POLICY_MAX_AGE_SECONDS,
    ),
    hasher: new ScryptPasswordHasher(),
    tokens: new TokenIssuer(
      new SecretsManagerSigningKeySource(config.TOKEN_SECRET_ARN, config.TOKEN_SIGNING_KEY_MAX_AGE_SECONDS),
      config.TOKEN_TTL_SECONDS,
    ),
  });
}

export function createTokenVerifier(env: NodeJS.ProcessEnv = process.env): TokenVerifier {
  const config = loadConfig(
    {
      TOKEN_SECRET_ARN: nonEmpty,
      TOKEN_SIGNING_KEY_MAX_AGE_SECONDS: signingKeyMaxAge,
      // Login's token lifetime: the verifier refuses tokens meant to live longer.
      TOKEN_TTL_SECONDS: positiveInt,
    },
    env,
  );
  return new TokenVerifier(
    new SecretsManagerSigningKeySource(config.TOKEN_SECRET_ARN, config.TOKEN_SIGNING_KEY_MAX_AGE_SECONDS),
    Date.now,
    undefined,
    { maxLifetimeSeconds: config.TOKEN_TTL_SECONDS },
  );
}
