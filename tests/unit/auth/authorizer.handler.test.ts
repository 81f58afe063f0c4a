import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { APIGatewayTokenAuthorizerEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { createTokenIssuer } from "../../../src/auth/domain/tokens";
import {
  authorizerEnvironment,
  createAuthorizerHandler,
  createTokenVerifierFromConfig,
} from "../../../src/auth/handlers/authorizer";
import { loadConfig } from "../../../src/shared/config";
import { captureOutput, lambdaContext, testObservability } from "../../support/handler-test";
import { AUTH_VARIABLES, FixedSigningKeySource, ManualClock } from "./fakes";

// Only the variables the authorizer's template gives it: its wiring must not need the others.
const { TOKEN_SECRET_ARN, TOKEN_SIGNING_KEY_MAX_AGE_SECONDS, TOKEN_TTL_SECONDS } = AUTH_VARIABLES;
const handler = createAuthorizerHandler({
  verifier: createTokenVerifierFromConfig(
    loadConfig(authorizerEnvironment, {
      TOKEN_SECRET_ARN,
      TOKEN_SIGNING_KEY_MAX_AGE_SECONDS,
      TOKEN_TTL_SECONDS,
    }),
  ),
  ...testObservability("auth"),
});

const SIGNING_KEY = "fedcba9876543210".repeat(4);
const METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/PUT/profiles/user-1";
const secrets = mockClient(SecretsManagerClient);
const issuer = createTokenIssuer({
  keys: new FixedSigningKeySource(new TextEncoder().encode(SIGNING_KEY)),
  ttlSeconds: 300,
});

const authorize = (authorizationToken: string) =>
  handler(
    { type: "TOKEN", authorizationToken, methodArn: METHOD_ARN } as APIGatewayTokenAuthorizerEvent,
    lambdaContext("authorizer"),
  );

describe("TOKEN authorizer handler", () => {
  const output = captureOutput();
  beforeEach(() => secrets.reset());

  // First: the key is cached once read, so this must run before any test reads it.
  it("fails as a server error, not a 401, when the key cannot be read", async () => {
    secrets.on(GetSecretValueCommand).rejects(new Error("AccessDeniedException"));
    const { token } = await issuer.issue({ userId: "user-1", username: "alice" });
    const error = await authorize(`Bearer ${token}`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toBe("Unauthorized");
  });

  it("allows a valid token for the whole stage, with the user as principal and context", async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_KEY });
    const { token } = await issuer.issue({ userId: "user-1", username: "alice" });

    await expect(authorize(`Bearer ${token}`)).resolves.toEqual({
      principalId: "user-1",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Action: "execute-api:Invoke",
            Effect: "Allow",
            Resource: "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/*/*",
          },
        ],
      },
      context: { userId: "user-1", username: "alice" },
    });
  });

  // Before any test shows a forged kid: the authorizer reads the keys again at most once per 30 s.
  it("after a rotation, accepts the new key's tokens (reading the keys again once) and the old key's", async () => {
    const rotatedKey = "0123456789abcdef".repeat(4);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: rotatedKey });
    secrets
      .on(GetSecretValueCommand, { VersionStage: "AWSPREVIOUS" })
      .resolves({ SecretString: SIGNING_KEY });
    const rotatedIssuer = createTokenIssuer({
      keys: new FixedSigningKeySource(new TextEncoder().encode(rotatedKey)),
      ttlSeconds: 300,
    });
    const subject = { userId: "user-1", username: "alice" };

    await expect(authorize(`Bearer ${(await rotatedIssuer.issue(subject)).token}`)).resolves.toMatchObject({
      principalId: "user-1",
    });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    await expect(authorize(`Bearer ${(await issuer.issue(subject)).token}`)).resolves.toMatchObject({
      principalId: "user-1",
    });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('throws exactly "Unauthorized" for missing, malformed, forged and expired tokens', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_KEY });
    const { token } = await issuer.issue({ userId: "user-1", username: "alice" });
    const forger = createTokenIssuer({
      keys: new FixedSigningKeySource(new TextEncoder().encode("x".repeat(64))),
      ttlSeconds: 300,
    });
    const expiredClock = new ManualClock(Date.now() - 3600_000);
    const expiredIssuer = createTokenIssuer({
      keys: new FixedSigningKeySource(new TextEncoder().encode(SIGNING_KEY)),
      ttlSeconds: 300,
      clock: expiredClock.now,
    });

    // Signed with the real key, but living longer than TOKEN_TTL_SECONDS (900) or issued in the future.
    const century = createTokenIssuer({
      keys: new FixedSigningKeySource(new TextEncoder().encode(SIGNING_KEY)),
      ttlSeconds: 100 * 365 * 86_400,
    });
    const anHour = createTokenIssuer({
      keys: new FixedSigningKeySource(new TextEncoder().encode(SIGNING_KEY)),
      ttlSeconds: 3600,
    });
    const fromNextYear = createTokenIssuer({
      keys: new FixedSigningKeySource(new TextEncoder().encode(SIGNING_KEY)),
      ttlSeconds: 300,
      clock: new ManualClock(Date.now() + 365 * 86_400_000).now,
    });

    const rejected = [
      "",
      token,
      `Bearer ${(await century.issue({ userId: "user-1", username: "alice" })).token}`,
      `Bearer ${(await anHour.issue({ userId: "user-1", username: "alice" })).token}`,
      `Bearer ${(await fromNextYear.issue({ userId: "user-1", username: "alice" })).token}`,
      `Basic ${token}`,
      "Bearer not-a-jwt",
      `Bearer ${token.slice(0, -2)}`,
      `Bearer ${(await forger.issue({ userId: "user-1", username: "alice" })).token}`,
      `Bearer ${(await expiredIssuer.issue({ userId: "user-1", username: "alice" })).token}`,
    ];
    for (const authorization of rejected) {
      await expect(authorize(authorization)).rejects.toThrow(/^Unauthorized$/);
    }
    expect(output.metricNames().filter((name) => name === "AuthorizerDenied")).toHaveLength(rejected.length);
  });
});
