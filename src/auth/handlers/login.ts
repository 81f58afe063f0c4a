import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type ConfigOf, loadConfig, nonEmpty, positiveInt } from "../../shared/config";
import { createDocumentClient } from "../../shared/dynamodb";
import { TooManyRequestsError, UnauthorizedError } from "../../shared/errors";
import { httpHandler, json } from "../../shared/http";
import { lazyHandler } from "../../shared/lambda-entry";
import {
  createObservability,
  loadObservabilityConfig,
  MetricUnit,
  type Observability,
} from "../../shared/observability";
import * as z from "../../shared/schema";
import { DynamoDbLoginRecordStore } from "../adapters/dynamodb-login-record-store";
import { SecretsManagerSigningKeySource } from "../adapters/secrets-signing-key-source";
import { SsmLockoutPolicySource } from "../adapters/ssm-lockout-policy-source";
import { createLoginService, type LoginService } from "../domain/login";
import { ScryptPasswordHasher } from "../domain/password-hasher";
import { createTokenIssuer } from "../domain/tokens";
import { loginRequestSchema } from "../schemas";
import { signingKeyMaxAge } from "../signing-key-max-age";

export interface LoginDependencies extends Observability {
  login: LoginService;
}

/** POST /tokens */
export function createLoginHandler({ login, ...observability }: LoginDependencies) {
  const { logger, metrics } = observability;
  return httpHandler(observability, async (request) => {
    const { username, password } = request.body(loginRequestSchema);
    try {
      const sourceAddress = request.sourceIp() ?? "unknown";
      const issued = await login.login(username, password, sourceAddress);
      metrics.addMetric("LoginSucceeded", MetricUnit.Count, 1);
      // A bearer token must not be stored by caches on the way (RFC 6749 section 5.1).
      return json(201, issued, { "Cache-Control": "no-store" });
    } catch (error) {
      if (error instanceof UnauthorizedError) metrics.addMetric("LoginFailed", MetricUnit.Count, 1);
      if (error instanceof TooManyRequestsError) {
        metrics.addMetric("LoginLockedOut", MetricUnit.Count, 1);
        logger.warn("Login locked out", { username });
      }
      throw error;
    }
  });
}

/** The variables its template gives this function, and what it builds from them. */
export const loginEnvironment = {
  USERS_TABLE_NAME: nonEmpty,
  TOKEN_SECRET_ARN: nonEmpty,
  TOKEN_TTL_SECONDS: positiveInt,
  LOCKOUT_POLICY_PARAMETER: nonEmpty,
  LOCKOUT_POLICY_MAX_AGE_SECONDS: z.coerce.number().check(z.int(), z.nonnegative()),
  TOKEN_SIGNING_KEY_MAX_AGE_SECONDS: signingKeyMaxAge,
};

export interface LoginClients {
  dynamodb: DynamoDBDocumentClient;
  ssm: SSMClient;
  secrets: SecretsManagerClient;
}

export function createLoginServiceFromConfig(
  config: ConfigOf<typeof loginEnvironment>,
  clients: LoginClients = {
    dynamodb: createDocumentClient(),
    ssm: new SSMClient({}),
    secrets: new SecretsManagerClient({}),
  },
): LoginService {
  return createLoginService({
    records: new DynamoDbLoginRecordStore(clients.dynamodb, config.USERS_TABLE_NAME),
    policy: new SsmLockoutPolicySource(
      clients.ssm,
      config.LOCKOUT_POLICY_PARAMETER,
      config.LOCKOUT_POLICY_MAX_AGE_SECONDS,
    ),
    hasher: new ScryptPasswordHasher(),
    tokens: createTokenIssuer({
      keys: new SecretsManagerSigningKeySource(
        clients.secrets,
        config.TOKEN_SECRET_ARN,
        config.TOKEN_SIGNING_KEY_MAX_AGE_SECONDS,
      ),
      ttlSeconds: config.TOKEN_TTL_SECONDS,
    }),
  });
}

export const handler = lazyHandler(() =>
  createLoginHandler({
    login: createLoginServiceFromConfig(loadConfig(loginEnvironment)),
    ...createObservability(loadObservabilityConfig()),
  }),
);
