import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { BatchGetCommand, DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { addressKey } from "../../../src/auth/domain/lockout";
import { ScryptPasswordHasher } from "../../../src/auth/domain/password-hasher";
import { createTokenVerifier } from "../../../src/auth/domain/tokens";
import {
  createLoginHandler,
  createLoginServiceFromConfig,
  loginEnvironment,
} from "../../../src/auth/handlers/login";
import { loadConfig } from "../../../src/shared/config";
import {
  captureOutput,
  lambdaContext,
  parseBody,
  proxyEvent,
  testObservability,
} from "../../support/handler-test";
import { AUTH_VARIABLES, FixedSigningKeySource } from "./fakes";

const SIGNING_KEY = "0123456789abcdef".repeat(4);
const PASSWORD = "a long enough password";

const dynamo = mockClient(DynamoDBDocumentClient);
const ssm = mockClient(SSMClient);
const secrets = mockClient(SecretsManagerClient);
const handler = createLoginHandler({
  login: createLoginServiceFromConfig(loadConfig(loginEnvironment, AUTH_VARIABLES)),
  ...testObservability("auth"),
});

const login = (body: string) => proxyEvent({ method: "POST", resource: "/tokens", body });
const invoke = (body: unknown) => handler(login(JSON.stringify(body)), lambdaContext("login"));

const TABLE = "auth-users-test";
let storedHash: string;
const aliceItem = (extra: Record<string, unknown> = {}) => ({
  pk: "USER#alice",
  userId: "user-1",
  username: "alice",
  passwordHash: storedHash,
  createdAt: "x",
  ...extra,
});
/** What BatchGetItem finds of the user and unknown-username items. */
const answerBatch = (items: Array<Record<string, unknown>>) =>
  dynamo
    .on(BatchGetCommand)
    .callsFake((input: { RequestItems: Record<string, { Keys: Array<{ pk: string }> }> }) => {
      const keys = new Set(input.RequestItems[TABLE]?.Keys.map((key) => key.pk));
      return { Responses: { [TABLE]: items.filter((item) => keys.has(String(item.pk))) } };
    });

describe("POST /tokens handler", () => {
  const output = captureOutput();

  beforeAll(async () => {
    storedHash = await new ScryptPasswordHasher({ log2Cost: 4 }).hash(PASSWORD);
  });

  beforeEach(() => {
    dynamo.reset();
    ssm.reset();
    secrets.reset();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '{"maxAttempts":5,"windowSeconds":900}' } });
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_KEY });
    answerBatch([aliceItem()]);
    dynamo.on(UpdateCommand).resolves({});
  });

  it("answers 201 with a bearer token that verifies, and clears the attempt count", async () => {
    const response = await invoke({ username: "alice", password: PASSWORD });

    expect(response.statusCode).toBe(201);
    expect(response.headers?.["Cache-Control"]).toBe("no-store");
    const body = parseBody(response.body);
    expect(body).toMatchObject({ tokenType: "Bearer", expiresIn: 900 });
    const verifier = createTokenVerifier({
      keys: new FixedSigningKeySource(new TextEncoder().encode(SIGNING_KEY)),
    });
    await expect(verifier.verify(String(body.token))).resolves.toEqual({
      userId: "user-1",
      username: "alice",
    });
    // One read of the user and the guard, one conditional write: two round trips.
    expect(dynamo.calls()).toHaveLength(2);
    expect(dynamo.commandCalls(BatchGetCommand)[0]?.args[0].input).toEqual({
      RequestItems: {
        [TABLE]: { Keys: [{ pk: "USER#alice" }, { pk: "LOGINFAIL#alice" }], ConsistentRead: true },
      },
    });
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: "USER#alice" },
      ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(loginGuard)",
    });
    expect(output.metricNames()).toContain("LoginSucceeded");
  });

  it("answers a wrong password and an unknown user with the same 401", async () => {
    const wrongPassword = await invoke({ username: "alice", password: "not the password" });
    const unknownUser = await invoke({ username: "mallory", password: "not the password" });

    expect(wrongPassword.statusCode).toBe(401);
    expect(unknownUser.statusCode).toBe(401);
    expect(unknownUser.body).toBe(wrongPassword.body);
    // Both: one read, one write; the unknown username's guard in an item of its own, with a TTL.
    expect(dynamo.calls()).toHaveLength(4);
    expect(dynamo.commandCalls(UpdateCommand)[1]?.args[0].input).toMatchObject({
      Key: { pk: "LOGINFAIL#mallory" },
      ConditionExpression: "attribute_not_exists(loginGuard)",
      UpdateExpression: "SET loginGuard = :guard, expiresAt = :expiresAt",
    });
    expect(output.metricNames().filter((name) => name === "LoginFailed")).toHaveLength(2);
  });

  it("answers 429 with Retry-After while the username is locked out, without checking the password", async () => {
    const now = Math.floor(Date.now() / 1000);
    const guard = {
      version: 5,
      failures: 5,
      lastFailureAt: now - 50,
      nextAttemptAt: 0,
      addresses: { [addressKey("alice", "192.0.2.1")]: { failures: 5, since: now - 100 } },
      known: {},
    };
    answerBatch([aliceItem({ loginGuard: guard })]);

    const response = await invoke({ username: "alice", password: PASSWORD });

    expect(response.statusCode).toBe(429);
    const retryAfter = Number(response.headers?.["Retry-After"]);
    expect(retryAfter).toBeGreaterThanOrEqual(799);
    expect(retryAfter).toBeLessThanOrEqual(800);
    // Decided from the one read: no write, no password check.
    expect(dynamo.calls()).toHaveLength(1);
    expect(output.metricNames()).toContain("LoginLockedOut");
  });

  it.each([
    ["a missing password", { username: "alice" }],
    ["an empty password", { username: "alice", password: "" }],
    ["an extra field", { username: "alice", password: PASSWORD, remember: true }],
    ["an invalid username", { username: "Alice!", password: PASSWORD }],
  ])("answers 400 for %s without touching any store", async (_, body) => {
    const response = await invoke(body);
    expect(response.statusCode).toBe(400);
    expect(dynamo.calls()).toHaveLength(0);
    expect(ssm.calls()).toHaveLength(0);
  });

  it("answers 400 for malformed JSON and 413 for a body over 64 KB", async () => {
    const malformed = await handler(login("{not json"), lambdaContext("login"));
    expect(malformed.statusCode).toBe(400);
    expect(parseBody(malformed.body).error?.code).toBe("INVALID_JSON");
    const huge = await invoke({ username: "alice", password: "x".repeat(70_000) });
    expect(huge.statusCode).toBe(413);
  });

  it("never writes the password, the token or the key to the log", async () => {
    // The handler's logger is at DEBUG, the most verbose level any environment uses.
    const response = await invoke({ username: "alice", password: PASSWORD });
    await invoke({ username: "alice", password: `${PASSWORD}-wrong` });
    const logged = output.chunks().join("");
    expect(logged).toContain("Request completed");
    expect(logged).not.toContain(PASSWORD);
    expect(logged).not.toContain(SIGNING_KEY);
    expect(logged).not.toContain(String(parseBody(response.body).token));
  });
});
