import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { DynamoDbLoginAttemptStore } from "../../../src/auth/adapters/dynamodb-login-attempt-store";
import { DynamoDbUserRepository } from "../../../src/auth/adapters/dynamodb-user-repository";
import { SsmLockoutPolicySource } from "../../../src/auth/adapters/ssm-lockout-policy-source";
import { documentClient } from "../../../src/shared/dynamodb";

const conditionFailed = () =>
  Object.assign(new Error("The conditional request failed"), { name: "ConditionalCheckFailedException" });

describe("SsmLockoutPolicySource", () => {
  const ssm = mockClient(SSMClient);
  const start = Date.UTC(2025, 0, 1);

  beforeEach(() => {
    ssm.reset();
    // Only Date is faked: the cache's expiry reads the clock, the SDK mock needs real timers.
    jest.useFakeTimers({
      now: start,
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
  });
  afterEach(() => jest.useRealTimers());

  it("reads the JSON policy and sees a change once its cache age has passed", async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '{"maxAttempts":5,"windowSeconds":900}' } });
    const source = new SsmLockoutPolicySource("/meridian/test/auth/lockout/policy-a", 30);
    await expect(source.current()).resolves.toEqual({ maxAttempts: 5, windowSeconds: 900 });

    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '{"maxAttempts":2,"windowSeconds":60}' } });
    jest.setSystemTime(start + 29_000);
    await expect(source.current()).resolves.toEqual({ maxAttempts: 5, windowSeconds: 900 });

    jest.setSystemTime(start + 31_000);
    await expect(source.current()).resolves.toEqual({ maxAttempts: 2, windowSeconds: 60 });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toMatchObject({
      Name: "/meridian/test/auth/lockout/policy-a",
    });
  });

  it("fails closed on a policy it cannot use", async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '{"maxAttempts":0,"windowSeconds":900}' } });
    await expect(
      new SsmLockoutPolicySource("/meridian/test/auth/lockout/policy-b").current(),
    ).rejects.toThrow(/invalid/);
  });
});

describe("DynamoDB adapters", () => {
  const dynamo = mockClient(documentClient);
  beforeEach(() => dynamo.reset());

  it("reports a taken username as false, and other failures as errors", async () => {
    const users = new DynamoDbUserRepository("t");
    const user = { userId: "u", username: "alice", passwordHash: "h", createdAt: "c" };
    dynamo.onAnyCommand().rejects(conditionFailed());
    await expect(users.create(user)).resolves.toBe(false);
    dynamo.onAnyCommand().rejects(new Error("throttled"));
    await expect(users.create(user)).rejects.toThrow("throttled");
  });

  it("reads users consistently and refuses malformed items with a plain error", async () => {
    const users = new DynamoDbUserRepository("t");
    dynamo.on(GetCommand).resolves({ Item: { pk: "USER#alice", username: "alice" } });
    const error = await users.findByUsername("alice").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe("Error");
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({ ConsistentRead: true });
  });

  it("replaces an attempt window only if it still holds the expected value", async () => {
    const store = new DynamoDbLoginAttemptStore("t");
    dynamo.on(UpdateCommand).resolves({});
    await store.replace(
      "alice",
      { attempts: 3, windowStartedAt: 100 },
      { attempts: 2, windowStartedAt: 100 },
      1000,
    );
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: "t",
      Key: { pk: "LOGINFAIL#alice" },
      UpdateExpression:
        "SET attempts = :attempts, windowStartedAt = :windowStartedAt, expiresAt = :expiresAt",
      ConditionExpression: "attempts = :expectedAttempts AND windowStartedAt = :expectedWindowStartedAt",
      ExpressionAttributeValues: {
        ":attempts": 3,
        ":windowStartedAt": 100,
        ":expiresAt": 1000,
        ":expectedAttempts": 2,
        ":expectedWindowStartedAt": 100,
      },
    });

    dynamo.on(UpdateCommand).rejects(conditionFailed());
    await expect(store.replace("alice", { attempts: 1, windowStartedAt: 200 }, undefined, 300)).resolves.toBe(
      false,
    );
    expect(dynamo.commandCalls(UpdateCommand)[1]?.args[0].input.ConditionExpression).toBe(
      "attribute_not_exists(pk)",
    );
  });
});
