import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { ScryptPasswordHasher } from "../../../src/auth/domain/password-hasher";
import { TokenVerifier } from "../../../src/auth/domain/tokens";
import { loadConfig } from "../../../src/shared/config";
import {
  captureMetrics,
  lambdaContext,
  parseBody,
  proxyEvent,
  publishMetricsToConsole,
} from "../../support/handler-test";
import { AUTH_VARIABLES, FixedSigningKeySource } from "./fakes";

publishMetricsToConsole("auth");
// Loaded after Powertools' variables are set: observability reads them as it loads.
const { createLoginHandler } =
  require("../../../src/auth/handlers/login") as typeof import("../../../src/auth/handlers/login");
const { buildLoginService, loginEnvironment } =
  require("../../../src/auth/handlers/login") as typeof import("../../../src/auth/handlers/login");
const { logger } =
  require("../../../src/shared/observability") as typeof import("../../../src/shared/observability");

const SIGNING_KEY = "0123456789abcdef".repeat(4);
const PASSWORD = "a long enough password";

const dynamo = mockClient(DynamoDBDocumentClient);
const ssm = mockClient(SSMClient);
const secrets = mockClient(SecretsManagerClient);
const handler = createLoginHandler({
  login: buildLoginService(loadConfig(loginEnvironment, AUTH_VARIABLES)),
});

const login = (body: string) => proxyEvent({ method: "POST", resource: "/tokens", body });
const invoke = (body: unknown) => handler(login(JSON.stringify(body)), lambdaContext("login"));

describe("POST /tokens handler", () => {
  let publishedMetrics: () => string[];
  let storedHash: string;

  beforeAll(async () => {
    storedHash = await new ScryptPasswordHasher({ log2Cost: 4 }).hash(PASSWORD);
  });

  beforeEach(() => {
    dynamo.reset();
    ssm.reset();
    secrets.reset();
    publishedMetrics = captureMetrics();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '{"maxAttempts":5,"windowSeconds":900}' } });
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_KEY });
    dynamo.on(GetCommand, { Key: { pk: "USER#alice" } }).resolves({
      Item: {
        pk: "USER#alice",
        userId: "user-1",
        username: "alice",
        passwordHash: storedHash,
        createdAt: "x",
      },
    });
    dynamo.on(GetCommand, { Key: { pk: "LOGINFAIL#alice" } }).resolves({});
    dynamo.on(GetCommand, { Key: { pk: "LOGINFAIL#mallory" } }).resolves({});
    dynamo.on(GetCommand, { Key: { pk: "USER#mallory" } }).resolves({});
    dynamo.on(UpdateCommand).resolves({});
    dynamo.on(DeleteCommand).resolves({});
  });
  afterEach(() => jest.restoreAllMocks());

  it("answers 201 with a bearer token that verifies, and clears the attempt count", async () => {
    const response = await invoke({ username: "alice", password: PASSWORD });

    expect(response.statusCode).toBe(201);
    expect(response.headers?.["Cache-Control"]).toBe("no-store");
    const body = parseBody(response.body);
    expect(body).toMatchObject({ tokenType: "Bearer", expiresIn: 900 });
    const verifier = new TokenVerifier(new FixedSigningKeySource(new TextEncoder().encode(SIGNING_KEY)));
    await expect(verifier.verify(String(body.token))).resolves.toEqual({
      userId: "user-1",
      username: "alice",
    });
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: "LOGINFAIL#alice" },
      ConditionExpression: "attribute_not_exists(pk)",
    });
    expect(dynamo.commandCalls(DeleteCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: "LOGINFAIL#alice" },
    });
    expect(publishedMetrics()).toContain("LoginSucceeded");
  });

  it("answers a wrong password and an unknown user with the same 401", async () => {
    const wrongPassword = await invoke({ username: "alice", password: "not the password" });
    const unknownUser = await invoke({ username: "mallory", password: "not the password" });

    expect(wrongPassword.statusCode).toBe(401);
    expect(unknownUser.statusCode).toBe(401);
    expect(unknownUser.body).toBe(wrongPassword.body);
    expect(dynamo.commandCalls(DeleteCommand)).toHaveLength(0);
    expect(publishedMetrics().filter((name) => name === "LoginFailed")).toHaveLength(2);
  });

  it("answers 429 with Retry-After while the username is locked out, without checking the password", async () => {
    const now = Math.floor(Date.now() / 1000);
    dynamo.on(GetCommand, { Key: { pk: "LOGINFAIL#alice" } }).resolves({
      Item: { pk: "LOGINFAIL#alice", attempts: 5, windowStartedAt: now - 100, expiresAt: now + 800 },
    });

    const response = await invoke({ username: "alice", password: PASSWORD });

    expect(response.statusCode).toBe(429);
    const retryAfter = Number(response.headers?.["Retry-After"]);
    expect(retryAfter).toBeGreaterThanOrEqual(799);
    expect(retryAfter).toBeLessThanOrEqual(800);
    expect(dynamo.commandCalls(GetCommand, { Key: { pk: "USER#alice" } })).toHaveLength(0);
    expect(publishedMetrics()).toContain("LoginLockedOut");
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
    expect(parseBody(malformed.body).error?.code).toBe("invalid_json");
    const huge = await invoke({ username: "alice", password: "x".repeat(70_000) });
    expect(huge.statusCode).toBe(413);
  });

  it("never writes the password, the token or the key to the log", async () => {
    logger.setLogLevel("DEBUG");
    const writers = [
      jest.spyOn(process.stdout, "write").mockImplementation(() => true),
      ...(["log", "info", "debug", "warn", "error"] as const).map((method) =>
        jest.spyOn(console, method).mockImplementation(() => undefined),
      ),
    ];
    try {
      const response = await invoke({ username: "alice", password: PASSWORD });
      await invoke({ username: "alice", password: `${PASSWORD}-wrong` });
      const logged = writers
        .flatMap((writer) => writer.mock.calls.map((args) => JSON.stringify(args)))
        .join("\n");
      expect(logged).toContain("Request completed");
      expect(logged).not.toContain(PASSWORD);
      expect(logged).not.toContain(SIGNING_KEY);
      expect(logged).not.toContain(String(parseBody(response.body).token));
    } finally {
      logger.setLogLevel("SILENT");
    }
  });
});
