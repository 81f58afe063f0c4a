import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as lib from "@aws-sdk/lib-dynamodb";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { createGetProfileHandler } from "../../../src/profile/handlers/get-profile";
import {
  createProfileWriterFromConfig,
  createPutProfileHandler,
  profileWriterEnvironment,
} from "../../../src/profile/handlers/put-profile";
import { createProfileReaderFromConfig, profileReaderEnvironment } from "../../../src/profile/wiring";
import { loadConfig } from "../../../src/shared/config";
import {
  captureOutput,
  context,
  type Handler,
  metricValues,
  parse,
  proxyEvent,
  sampleEvent as sample,
  TEST_CREDENTIALS,
  testObservability,
} from "../../support/handler-test";

interface Loaded {
  putProfile: Handler;
  getProfile: Handler;
  ddb: AwsClientStub<lib.DynamoDBDocumentClient>;
  lib: typeof import("@aws-sdk/lib-dynamodb");
}

/** A stand-in location API; each test decides how it answers. */
let answer: (res: ServerResponse) => void = (res) => res.end();
let server: Server;
let locationUrl: string;

beforeAll(async () => {
  server = createServer((_req, res) => answer(res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  locationUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/local`;
});

const output = captureOutput();

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Both handlers from their factories, configured as the template configures them, over a fresh DynamoDB mock. */
function load(): Loaded {
  const ddb = mockClient(lib.DynamoDBDocumentClient);
  const config = loadConfig(profileReaderEnvironment, {
    PROFILES_TABLE_NAME: "profiles-test",
    LOCATION_API_URL: locationUrl,
    LOCATION_TIMEOUT_MS: "300",
    LOCATION_DISCOVERY: "ssm",
    LOCATION_SERVICE_VERSION: "v1",
    AWS_REGION: "us-east-1",
  });
  const observability = testObservability("profile");
  return {
    lib,
    ddb,
    putProfile: createPutProfileHandler({
      profiles: createProfileWriterFromConfig(config),
      ...observability,
    }),
    getProfile: createGetProfileHandler({
      profiles: createProfileReaderFromConfig(config, observability.logger, {
        credentials: TEST_CREDENTIALS,
      }),
      ...observability,
    }),
  };
}

const conditionFailed = () =>
  Object.assign(new Error("The conditional request failed"), { name: "ConditionalCheckFailedException" });

const owner = { userId: "user-1", username: "alice" };
const resource = "/profiles/{userId}";

function put(body: unknown, options: { ifMatch?: string; principal?: typeof owner; userId?: string } = {}) {
  return proxyEvent({
    method: "PUT",
    resource,
    pathParameters: { userId: options.userId ?? "user-1" },
    body,
    principal: options.principal ?? owner,
    headers: options.ifMatch === undefined ? {} : { "If-Match": options.ifMatch },
  });
}

describe("PUT /profiles/{userId}", () => {
  let h: Loaded;
  beforeEach(() => {
    h = load();
    h.ddb.on(h.lib.PutCommand).resolves({});
  });

  it('creates version 1 (attribute_not_exists) with ETag "1"', async () => {
    const result = await h.putProfile(put({ displayName: "  Alice  " }), context);
    expect(result.statusCode).toBe(200);
    expect(result.headers?.ETag).toBe('"1"');
    expect(parse(result)).toEqual({
      userId: "user-1",
      displayName: "Alice",
      bio: null,
      version: 1,
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    const input = h.ddb.commandCalls(h.lib.PutCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      TableName: "profiles-test",
      ConditionExpression: "attribute_not_exists(userId)",
      Item: { userId: "user-1", displayName: "Alice", bio: null, version: 1 },
    });
  });

  it.each([
    '"3"',
    "3",
    ' "3" ',
  ])("If-Match %p updates only version 3, answering version 4", async (ifMatch) => {
    const result = await h.putProfile(put({ displayName: "Alice", bio: "hello" }, { ifMatch }), context);
    expect(result.statusCode).toBe(200);
    expect(result.headers?.ETag).toBe('"4"');
    expect(parse(result)).toMatchObject({ version: 4, bio: "hello" });
    const input = h.ddb.commandCalls(h.lib.PutCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      ConditionExpression: "version = :expected",
      ExpressionAttributeValues: { ":expected": 3 },
      Item: { version: 4 },
    });
  });

  it("412 when the version does not match", async () => {
    h.ddb.on(h.lib.PutCommand).rejects(conditionFailed());
    const result = await h.putProfile(put({ displayName: "Alice" }, { ifMatch: '"3"' }), context);
    expect(result.statusCode).toBe(412);
    expect(parse(result)).toEqual({ error: { code: "PRECONDITION_FAILED", message: expect.any(String) } });
  });

  it("412 without If-Match when a profile exists, saying to send If-Match", async () => {
    h.ddb.on(h.lib.PutCommand).rejects(conditionFailed());
    const result = await h.putProfile(put({ displayName: "Alice" }), context);
    expect(result.statusCode).toBe(412);
    expect(result.body).toContain("If-Match");
  });

  it("403 for someone else's profile, before anything is written", async () => {
    const result = await h.putProfile(
      put({ displayName: "Mallory" }, { principal: { userId: "user-2", username: "mallory" } }),
      context,
    );
    expect(result.statusCode).toBe(403);
    expect(h.ddb.calls()).toHaveLength(0);
  });

  it.each([
    ["an extra field", { displayName: "Alice", admin: true }],
    ["no displayName", { bio: "x" }],
    ["a blank displayName", { displayName: "   " }],
    ["a displayName of 65 characters", { displayName: "a".repeat(65) }],
    ["a bio of 501 characters", { displayName: "Alice", bio: "b".repeat(501) }],
    ["a numeric bio", { displayName: "Alice", bio: 5 }],
    ["a version in the body", { displayName: "Alice", version: 9 }],
  ])("400 for %s", async (_, body) => {
    const result = await h.putProfile(put(body), context);
    expect(result.statusCode).toBe(400);
    expect(h.ddb.calls()).toHaveLength(0);
  });

  it("accepts the limits: 64-character name and 500-character bio", async () => {
    const result = await h.putProfile(put({ displayName: "a".repeat(64), bio: "b".repeat(500) }), context);
    expect(result.statusCode).toBe(200);
  });

  it.each(["*", "abc", '"3', 'W/"3"', "0", "-1", "3.5", ""])("400 for If-Match %p", async (ifMatch) => {
    const result = await h.putProfile(put({ displayName: "Alice" }, { ifMatch }), context);
    expect(result.statusCode).toBe(400);
    expect(h.ddb.calls()).toHaveLength(0);
  });

  it.each(["a b", "x%2Fy", "a".repeat(65)])("400 for the odd user id %p", async (userId) => {
    const result = await h.putProfile(
      put({ displayName: "Alice" }, { userId, principal: { userId, username: "odd" } }),
      context,
    );
    expect(result.statusCode).toBe(400);
  });
});

describe("GET /profiles/{userId}", () => {
  let h: Loaded;
  const stored = {
    userId: "user-1",
    displayName: "Alice",
    bio: null,
    version: 7,
    updatedAt: "2026-01-01T00:00:00.000Z",
  };
  const get = (userId = "user-1") => proxyEvent({ method: "GET", resource, pathParameters: { userId } });

  beforeEach(() => {
    h = load();
    h.ddb.on(h.lib.GetCommand).resolves({ Item: stored });
  });

  it("200 with the rounded position and an ETag; counts ProfileRead", async () => {
    answer = (res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ userId: "user-1", latitude: -1.005, longitude: 103.819836, updatedAt: "t" }));
    };
    const result = await h.getProfile(get(), context);
    expect(result.statusCode).toBe(200);
    expect(result.headers?.ETag).toBe('"7"');
    expect(parse(result)).toEqual({
      userId: "user-1",
      displayName: "Alice",
      bio: null,
      location: { latitude: -1.01, longitude: 103.82, updatedAt: "t" },
    });
    expect(metricValues(output.emf(), "ProfileRead").map(({ value }) => value)).toEqual([1]);
    expect(output.metricNames()).not.toContain("LocationLookupDegraded");
  });

  it("location null when location has none (404)", async () => {
    answer = (res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "NOT_FOUND", message: "none" } }));
    };
    const body = parse(await h.getProfile(get(), context));
    expect(body).toEqual({ userId: "user-1", displayName: "Alice", bio: null, location: null });
  });

  it("degrades on a slow location service within the timeout and counts it", async () => {
    answer = () => {
      // Never respond.
    };
    const started = Date.now();
    const result = await h.getProfile(get(), context);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.statusCode).toBe(200);
    expect(parse(result)).toMatchObject({ location: null, locationStatus: "unavailable" });
    expect(metricValues(output.emf(), "LocationLookupDegraded").map(({ value }) => value)).toEqual([1]);
  });

  it("404 when there is no profile", async () => {
    h.ddb.on(h.lib.GetCommand).resolves({});
    const result = await h.getProfile(get("nobody"), context);
    expect(result.statusCode).toBe(404);
  });

  it("400 for an odd user id", async () => {
    const result = await h.getProfile(get("<script>"), context);
    expect(result.statusCode).toBe(400);
  });
});

describe("profile wiring", () => {
  // Each function's handler validates exactly these variables on its first invocation.
  it("the GET function refuses to start without LOCATION_API_URL", () => {
    expect(() =>
      loadConfig(profileReaderEnvironment, {
        PROFILES_TABLE_NAME: "profiles-test",
        LOCATION_TIMEOUT_MS: "300",
        LOCATION_DISCOVERY: "ssm",
        LOCATION_SERVICE_VERSION: "v1",
        AWS_REGION: "us-east-1",
      }),
    ).toThrow(/LOCATION_API_URL/);
  });

  it("the PUT function needs only its table", () => {
    expect(() =>
      createProfileWriterFromConfig(
        loadConfig(profileWriterEnvironment, { PROFILES_TABLE_NAME: "profiles-test" }),
      ),
    ).not.toThrow();
  });
});

describe("sample events (events/*.json, for sam local invoke)", () => {
  it("PutProfileFunction.json creates the owner's profile (no If-Match), so it works on a fresh stack", async () => {
    const h = load();
    h.ddb.on(h.lib.PutCommand).resolves({});
    const result = await h.putProfile(sample("PutProfileFunction"), context);
    expect(result.statusCode).toBe(200);
    expect(result.headers?.ETag).toBe('"1"');
  });

  it("GetProfileFunction.json reads a public profile", async () => {
    const h = load();
    h.ddb.on(h.lib.GetCommand).resolves({
      Item: { userId: "x", displayName: "Alice", bio: null, version: 1, updatedAt: "t" },
    });
    answer = (res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "NOT_FOUND", message: "none" } }));
    };
    const result = await h.getProfile(sample("GetProfileFunction"), context);
    expect(result.statusCode).toBe(200);
    expect(parse(result)).toMatchObject({ location: null });
  });
});
