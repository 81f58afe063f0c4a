import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { BatchGetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { addressKey } from "../../../src/auth/domain/lockout";
import { ScryptPasswordHasher } from "../../../src/auth/domain/password-hasher";
import {
  authorizerEnvironment,
  createAuthorizerHandler,
  createTokenVerifierFromConfig,
} from "../../../src/auth/handlers/authorizer";
import {
  createLoginHandler,
  createLoginServiceFromConfig,
  loginEnvironment,
} from "../../../src/auth/handlers/login";
import {
  createRegisterHandler,
  createRegistrationServiceFromConfig,
  registerEnvironment,
} from "../../../src/auth/handlers/register";
import { loadConfig } from "../../../src/shared/config";
import { createDocumentClient } from "../../../src/shared/dynamodb";
import { type Handler, testObservability } from "../../support/handler-test";

type Authorizer = (
  event: APIGatewayTokenAuthorizerEvent,
  context: Context,
) => Promise<APIGatewayAuthorizerResult>;

const USERS_TABLE = "users-test";
const VARIABLES = {
  USERS_TABLE_NAME: USERS_TABLE,
  TOKEN_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:key-AbCdEf",
  TOKEN_TTL_SECONDS: "900",
  LOCKOUT_POLICY_PARAMETER: "/meridian/test/auth/lockout/policy",
  LOCKOUT_POLICY_MAX_AGE_SECONDS: "60",
};

/**
 * Auth's three functions as deployed, each in an execution environment of its
 * own (its own clients, Logger and Metrics): the lock-out policy comes from
 * SSM and the signing key from Secrets Manager; the users table answers only
 * what the test sets on `ddb`.
 */
export function authFunctions(options: { maxAttempts: number; signingKey: string }) {
  const dynamodb = createDocumentClient();
  const ssm = new SSMClient({});
  const secrets = new SecretsManagerClient({});
  mockClient(ssm)
    .on(GetParameterCommand)
    .resolves({
      Parameter: { Value: JSON.stringify({ maxAttempts: options.maxAttempts, windowSeconds: 900 }) },
    });
  const secretsMock = mockClient(secrets);
  secretsMock.on(GetSecretValueCommand).resolves({ SecretString: options.signingKey });
  const ddb = mockClient(dynamodb);
  return {
    ddb,
    /**
     * The users table as login reads it (one BatchGetItem): these items, and a
     * guard for `lockedOut` that keeps the test's address (192.0.2.1) out.
     */
    answerLogins(items: Array<Record<string, unknown>>, lockedOut: string) {
      const now = Math.floor(Date.now() / 1000);
      const locked = {
        pk: `LOGINFAIL#${lockedOut}`,
        loginGuard: {
          version: options.maxAttempts,
          failures: options.maxAttempts,
          lastFailureAt: now - 5,
          nextAttemptAt: 0,
          addresses: {
            [addressKey(lockedOut, "192.0.2.1")]: { failures: options.maxAttempts, since: now - 10 },
          },
          known: {},
        },
      };
      ddb
        .on(BatchGetCommand)
        .callsFake((input: { RequestItems: Record<string, { Keys: Array<{ pk: string }> }> }) => {
          const keys = new Set(Object.values(input.RequestItems)[0]?.Keys.map((key) => key.pk));
          return {
            Responses: { [USERS_TABLE]: [...items, locked].filter((item) => keys.has(String(item.pk))) },
          };
        });
      ddb.on(UpdateCommand).resolves({});
    },
    hasher: new ScryptPasswordHasher({ log2Cost: 4 }),
    register: createRegisterHandler({
      registration: createRegistrationServiceFromConfig(loadConfig(registerEnvironment, VARIABLES), dynamodb),
      ...testObservability("auth"),
    }) as Handler,
    login: createLoginHandler({
      login: createLoginServiceFromConfig(loadConfig(loginEnvironment, VARIABLES), {
        dynamodb,
        ssm,
        secrets,
      }),
      ...testObservability("auth"),
    }) as Handler,
    authorizer: createAuthorizerHandler({
      verifier: createTokenVerifierFromConfig(loadConfig(authorizerEnvironment, VARIABLES), secrets),
      ...testObservability("auth"),
    }) as Authorizer,
    /** From now on the key cannot be read, as when the function's role lost access to it. */
    failSecretReads: () => {
      secretsMock.reset();
      secretsMock.on(GetSecretValueCommand).rejects(new Error("AccessDeniedException"));
    },
  };
}
