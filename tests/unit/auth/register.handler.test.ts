import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import {
  createRegisterHandler,
  createRegistrationServiceFromConfig,
  registerEnvironment,
} from "../../../src/auth/handlers/register";
import { loadConfig } from "../../../src/shared/config";
import {
  captureOutput,
  lambdaContext,
  parseBody,
  proxyEvent,
  testObservability,
} from "../../support/handler-test";
import { AUTH_VARIABLES } from "./fakes";

const dynamo = mockClient(DynamoDBDocumentClient);
const handler = createRegisterHandler({
  registration: createRegistrationServiceFromConfig(loadConfig(registerEnvironment, AUTH_VARIABLES)),
  ...testObservability("auth"),
});

const invoke = (body: string | null, headers?: Record<string, string>) =>
  handler(proxyEvent({ method: "POST", resource: "/users", body, headers }), lambdaContext("register"));

describe("POST /users handler", () => {
  const output = captureOutput();
  beforeEach(() => dynamo.reset());

  it("registers with one conditional put and answers 201", async () => {
    dynamo.on(PutCommand).resolves({});
    const response = await invoke(
      JSON.stringify({ username: "alice_1", password: "a long enough password" }),
    );

    expect(response.statusCode).toBe(201);
    const body = parseBody(response.body);
    expect(Object.keys(body).sort()).toEqual(["userId", "username"]);
    expect(body.username).toBe("alice_1");
    const puts = dynamo.commandCalls(PutCommand);
    expect(puts).toHaveLength(1);
    expect(puts[0]?.args[0].input).toMatchObject({
      TableName: "auth-users-test",
      ConditionExpression: "attribute_not_exists(pk)",
      Item: { pk: "USER#alice_1", username: "alice_1", userId: body.userId },
    });
    expect(JSON.stringify(puts[0]?.args[0].input)).not.toContain("a long enough password");
    expect(output.metricNames()).toContain("UsersRegistered");
  });

  it("answers 409 when the conditional put finds the username taken", async () => {
    const taken = Object.assign(new Error("The conditional request failed"), {
      name: "ConditionalCheckFailedException",
    });
    dynamo.on(PutCommand).rejects(taken);
    const response = await invoke(JSON.stringify({ username: "alice", password: "a long enough password" }));
    expect(response.statusCode).toBe(409);
    expect(parseBody(response.body).error?.code).toBe("CONFLICT");
    expect(output.metricNames()).not.toContain("UsersRegistered");
  });

  it.each([
    ["a short username", { username: "al", password: "a long enough password" }],
    ["an uppercase username", { username: "Alice", password: "a long enough password" }],
    ["a 33-character username", { username: "a".repeat(33), password: "a long enough password" }],
    ["an 11-character password", { username: "alice", password: "x".repeat(11) }],
    ["a 129-character password", { username: "alice", password: "x".repeat(129) }],
    ["a missing password", { username: "alice" }],
    ["an extra field", { username: "alice", password: "a long enough password", admin: true }],
    ["a non-object body", ["alice"]],
  ])("answers 400 for %s without touching the table", async (_, body) => {
    const response = await invoke(JSON.stringify(body));
    expect(response.statusCode).toBe(400);
    expect(parseBody(response.body).error?.code).toBe("VALIDATION_ERROR");
    expect(dynamo.calls()).toHaveLength(0);
  });

  it("accepts the boundary lengths", async () => {
    dynamo.on(PutCommand).resolves({});
    // Twelve different emoji: twelve characters, though 24 UTF-16 units (one emoji twelve times is too easy to guess).
    const response = await invoke(JSON.stringify({ username: "a-_", password: "😀😃😄😁😆😅🤣😂🙂🙃😉😊" }));
    expect(response.statusCode).toBe(201);
  });

  it("answers 400 for malformed JSON and for no body", async () => {
    const malformed = await invoke('{"username": "alice",');
    expect(malformed.statusCode).toBe(400);
    expect(parseBody(malformed.body).error?.code).toBe("INVALID_JSON");
    expect((await invoke(null)).statusCode).toBe(400);
  });

  it("answers 413 for a body over 64 KB", async () => {
    const response = await invoke(JSON.stringify({ username: "alice", password: "x".repeat(70_000) }));
    expect(response.statusCode).toBe(413);
  });

  it("answers 415 for a body that is not JSON", async () => {
    const response = await invoke("username=alice", { "Content-Type": "application/x-www-form-urlencoded" });
    expect(response.statusCode).toBe(415);
  });

  it("answers a plain 500 when the table fails", async () => {
    dynamo.on(PutCommand).rejects(new Error("ProvisionedThroughputExceeded at table auth-users-test"));
    const response = await invoke(JSON.stringify({ username: "alice", password: "a long enough password" }));
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain("auth-users-test");
  });
});
