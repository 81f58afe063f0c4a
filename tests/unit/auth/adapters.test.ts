import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { BatchGetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoDbLoginRecordStore } from "../../../src/auth/adapters/dynamodb-login-record-store";
import { DynamoDbUserRepository } from "../../../src/auth/adapters/dynamodb-user-repository";
import { SecretsManagerSigningKeySource } from "../../../src/auth/adapters/secrets-signing-key-source";
import { SsmLockoutPolicySource } from "../../../src/auth/adapters/ssm-lockout-policy-source";
import { signingKeyFrom } from "../../../src/auth/domain/signing-key";
import { createDocumentClient } from "../../../src/shared/dynamodb";

// Only Date is faked: caches' expiry reads the clock, the SDK mocks need real timers.
function fakeDateOnly(now: number): void {
  jest.useFakeTimers({
    now,
    doNotFake: [
      "nextTick",
      "setImmediate",
      "clearImmediate",
      "setTimeout",
      "clearTimeout",
      "setInterval",
      "clearInterval",
      "queueMicrotask",
      "hrtime",
      "performance",
    ],
  });
}

const conditionFailed = () =>
  Object.assign(new Error("The conditional request failed"), { name: "ConditionalCheckFailedException" });

// Unset in the parameter, the back-off's cap and how long an address stays known.
const DEFAULTS = { backoffMaxSeconds: 180, knownAddressSeconds: 30 * 86_400 };

describe("SsmLockoutPolicySource", () => {
  const ssm = mockClient(SSMClient);
  const start = Date.UTC(2025, 0, 1);

  beforeEach(() => {
    ssm.reset();
    fakeDateOnly(start);
  });
  afterEach(() => jest.useRealTimers());

  it("reads the JSON policy and sees a change once its cache age has passed", async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '{"maxAttempts":5,"windowSeconds":900}' } });
    const source = new SsmLockoutPolicySource(new SSMClient({}), "/meridian/test/auth/lockout/policy-a", 30);
    await expect(source.current()).resolves.toEqual({ ...DEFAULTS, maxAttempts: 5, windowSeconds: 900 });

    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '{"maxAttempts":2,"windowSeconds":60}' } });
    jest.setSystemTime(start + 29_000);
    await expect(source.current()).resolves.toEqual({ ...DEFAULTS, maxAttempts: 5, windowSeconds: 900 });

    jest.setSystemTime(start + 31_000);
    await expect(source.current()).resolves.toEqual({ ...DEFAULTS, maxAttempts: 2, windowSeconds: 60 });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toMatchObject({
      Name: "/meridian/test/auth/lockout/policy-a",
    });
  });

  it("fails closed on a policy it cannot use", async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '{"maxAttempts":0,"windowSeconds":900}' } });
    await expect(
      new SsmLockoutPolicySource(new SSMClient({}), "/meridian/test/auth/lockout/policy-b").current(),
    ).rejects.toThrow(/invalid/);
  });

  it("fails closed on a parameter that is not JSON, or has no value", async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: "maxAttempts=5" } });
    const source = new SsmLockoutPolicySource(new SSMClient({}), "/meridian/test/auth/lockout/policy-c");
    await expect(source.current()).rejects.toThrow(/policy-c is invalid/);
    ssm.on(GetParameterCommand).resolves({ Parameter: {} });
    await expect(
      new SsmLockoutPolicySource(new SSMClient({}), "/meridian/test/auth/lockout/policy-d").current(),
    ).rejects.toThrow(/policy-d is invalid/);
  });
});

describe("SecretsManagerSigningKeySource", () => {
  const secrets = mockClient(SecretsManagerClient);
  const start = Date.UTC(2025, 0, 1);
  const SECRET_ID = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:token-key-AbCdEf";
  const CURRENT = "c".repeat(64);
  const PREVIOUS = "p".repeat(64);
  const key = (value: string) => signingKeyFrom(new TextEncoder().encode(value));
  const noSuchStage = () =>
    new ResourceNotFoundException({
      message: "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS",
      $metadata: {},
    });
  const stagesRead = () =>
    secrets
      .commandCalls(GetSecretValueCommand)
      .map((call) => call.args[0].input.VersionStage ?? "AWSCURRENT");

  beforeEach(() => {
    secrets.reset();
    fakeDateOnly(start);
  });
  afterEach(() => jest.useRealTimers());

  it("reads AWSCURRENT and AWSPREVIOUS of the secret and names each key", async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: CURRENT });
    secrets.on(GetSecretValueCommand, { VersionStage: "AWSPREVIOUS" }).resolves({ SecretString: PREVIOUS });

    await expect(
      new SecretsManagerSigningKeySource(new SecretsManagerClient({}), SECRET_ID).signingKeys(),
    ).resolves.toEqual({
      current: key(CURRENT),
      previous: key(PREVIOUS),
    });
    expect(secrets.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual(
      expect.arrayContaining([{ SecretId: SECRET_ID }, { SecretId: SECRET_ID, VersionStage: "AWSPREVIOUS" }]),
    );
  });

  it("takes a missing AWSPREVIOUS (a secret never rotated) as no previous key, and remembers that for the cache age", async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: CURRENT });
    secrets.on(GetSecretValueCommand, { VersionStage: "AWSPREVIOUS" }).rejects(noSuchStage());
    const source = new SecretsManagerSigningKeySource(new SecretsManagerClient({}), SECRET_ID, 60);

    await expect(source.signingKeys()).resolves.toEqual({ current: key(CURRENT) });
    jest.setSystemTime(start + 59_000);
    await expect(source.signingKeys()).resolves.toEqual({ current: key(CURRENT) });
    expect(stagesRead()).toEqual(["AWSCURRENT", "AWSPREVIOUS"]);

    jest.setSystemTime(start + 61_000);
    await source.signingKeys();
    expect(stagesRead()).toHaveLength(4);
  });

  it("caches both for the cache age; refresh reads both again", async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: CURRENT });
    secrets.on(GetSecretValueCommand, { VersionStage: "AWSPREVIOUS" }).rejects(noSuchStage());
    const source = new SecretsManagerSigningKeySource(new SecretsManagerClient({}), SECRET_ID, 300);
    await source.signingKeys();

    // Rotated: the old value is AWSPREVIOUS now.
    secrets.on(GetSecretValueCommand).resolves({ SecretString: "n".repeat(64) });
    secrets.on(GetSecretValueCommand, { VersionStage: "AWSPREVIOUS" }).resolves({ SecretString: CURRENT });
    jest.setSystemTime(start + 299_000);
    await expect(source.signingKeys()).resolves.toEqual({ current: key(CURRENT) });
    expect(stagesRead()).toHaveLength(2);

    await expect(source.signingKeys({ refresh: true })).resolves.toEqual({
      current: key("n".repeat(64)),
      previous: key(CURRENT),
    });
    expect(stagesRead()).toHaveLength(4);
  });

  it("fails on any other error reading AWSPREVIOUS, and on an empty secret, without the key in the message", async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: CURRENT });
    secrets
      .on(GetSecretValueCommand, { VersionStage: "AWSPREVIOUS" })
      .rejects(Object.assign(new Error("User is not authorized"), { name: "AccessDeniedException" }));
    await expect(
      new SecretsManagerSigningKeySource(new SecretsManagerClient({}), SECRET_ID).signingKeys(),
    ).rejects.toThrow(/not authorized/);

    secrets.on(GetSecretValueCommand, { VersionStage: "AWSPREVIOUS" }).resolves({ SecretString: PREVIOUS });
    secrets.on(GetSecretValueCommand, { SecretId: "empty" }).resolves({ SecretString: "" });
    const error = await new SecretsManagerSigningKeySource(new SecretsManagerClient({}), "empty")
      .signingKeys()
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/empty/);
    expect((error as Error).message).not.toContain(PREVIOUS);
  });
});

describe("DynamoDB adapters", () => {
  const documentClient = createDocumentClient();
  const dynamo = mockClient(documentClient);
  beforeEach(() => dynamo.reset());

  it("reports a taken username as false, and other failures as errors", async () => {
    const users = new DynamoDbUserRepository(documentClient, "t");
    const user = { userId: "u", username: "alice", passwordHash: "h", createdAt: "c" };
    dynamo.onAnyCommand().rejects(conditionFailed());
    await expect(users.create(user)).resolves.toBe(false);
    dynamo.onAnyCommand().rejects(new Error("throttled"));
    await expect(users.create(user)).rejects.toThrow("throttled");
  });

  const guard = { version: 3, failures: 1, lastFailureAt: 100, nextAttemptAt: 0, addresses: {}, known: {} };

  it("writes a user's guard and a rehash in one UpdateItem, conditional on the guard's version", async () => {
    const store = new DynamoDbLoginRecordStore(documentClient, "t");
    dynamo.on(UpdateCommand).resolves({});
    await store.write("alice", {
      next: guard,
      expectedVersion: 2,
      userExists: true,
      passwordHash: "h2",
      expiresAt: 1,
    });
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: "t",
      Key: { pk: "USER#alice" },
      UpdateExpression: "SET loginGuard = :guard, passwordHash = :passwordHash",
      ConditionExpression: "attribute_exists(pk) AND loginGuard.version = :version",
      ExpressionAttributeValues: { ":guard": guard, ":version": 2, ":passwordHash": "h2" },
    });
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    await expect(
      store.write("nobody", { next: guard, expectedVersion: undefined, userExists: false, expiresAt: 9 }),
    ).resolves.toBe(false);
  });

  it("asks again for keys a throttled BatchGetItem left unprocessed, and refuses a malformed guard", async () => {
    const store = new DynamoDbLoginRecordStore(documentClient, "t");
    dynamo
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { t: [] }, UnprocessedKeys: { t: { Keys: [{ pk: "LOGINFAIL#bob" }] } } })
      .resolvesOnce({ Responses: { t: [{ pk: "LOGINFAIL#bob", loginGuard: guard }] } });
    await expect(store.read("bob")).resolves.toEqual({ guard });
    expect(dynamo.commandCalls(BatchGetCommand)[1]?.args[0].input.RequestItems?.t?.Keys).toEqual([
      { pk: "LOGINFAIL#bob" },
    ]);

    dynamo
      .on(BatchGetCommand)
      .resolves({ Responses: { t: [{ pk: "LOGINFAIL#bob", loginGuard: { version: "x" } }] } });
    await expect(store.read("bob")).rejects.toThrow(/malformed/);
  });
});
