import * as lib from "@aws-sdk/lib-dynamodb";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { createGetLocationHandler } from "../../../src/location/handlers/get-location";
import { createPutLocationHandler } from "../../../src/location/handlers/put-location";
import { createLocationServiceFromConfig } from "../../../src/location/wiring";
import {
  captureOutput,
  context,
  type Handler,
  metricValues,
  parse,
  proxyEvent,
  sampleEvent as sample,
  testObservability,
} from "../../support/handler-test";

interface Loaded {
  putLocation: Handler;
  getLocation: Handler;
  ddb: AwsClientStub<lib.DynamoDBDocumentClient>;
  lib: typeof import("@aws-sdk/lib-dynamodb");
}

/** Both handlers from their factories, over a fresh DynamoDB mock. */
function load(): Loaded {
  const ddb = mockClient(lib.DynamoDBDocumentClient);
  const locations = createLocationServiceFromConfig({ LOCATIONS_TABLE_NAME: "locations-test" });
  const observability = testObservability("location");
  return {
    lib,
    ddb,
    putLocation: createPutLocationHandler({ locations, ...observability }),
    getLocation: createGetLocationHandler({ locations, ...observability }),
  };
}

const output = captureOutput();

const owner = { userId: "user-1", username: "alice" };
const resource = "/locations/{userId}";

function put(userId: string, body: unknown, principal: typeof owner | null = owner) {
  return proxyEvent({
    method: "PUT",
    resource,
    pathParameters: { userId },
    body,
    principal: principal ?? undefined,
  });
}

describe("PUT /locations/{userId}", () => {
  let h: Loaded;
  beforeEach(() => {
    h = load();
    h.ddb.on(h.lib.PutCommand).resolves({});
  });

  it("stores the owner's position: 200 with an ISO timestamp", async () => {
    const result = await h.putLocation(put("user-1", { latitude: 48.8584, longitude: 2.2945 }), context);
    expect(result.statusCode).toBe(200);
    const body = parse(result) as Record<string, unknown>;
    expect(body).toMatchObject({ userId: "user-1", latitude: 48.8584, longitude: 2.2945 });
    expect(new Date(String(body.updatedAt)).toISOString()).toBe(body.updatedAt);
    const call = h.ddb.commandCalls(h.lib.PutCommand)[0];
    expect(call?.args[0].input).toMatchObject({
      TableName: "locations-test",
      Item: { userId: "user-1", latitude: 48.8584, longitude: 2.2945 },
      ConditionExpression: expect.stringContaining("updatedAt <= :updatedAt"),
    });
  });

  it("counts LocationUpdated and logs the request, as the function's Logger and Metrics write them", async () => {
    const result = await h.putLocation(put("user-1", { latitude: 1, longitude: 2 }), context);
    expect(result.statusCode).toBe(200);
    expect(metricValues(output.emf(), "LocationUpdated").map(({ value }) => value)).toEqual([1]);
    expect(output.logs()).toContainEqual(
      expect.objectContaining({ message: "Request completed", service: "location", status: 200 }),
    );
  });

  it("403 when the token belongs to someone else, without touching the table", async () => {
    const result = await h.putLocation(
      put("user-1", { latitude: 1, longitude: 1 }, { userId: "user-2", username: "bob" }),
      context,
    );
    expect(result.statusCode).toBe(403);
    expect(parse(result)).toEqual({ error: { code: "FORBIDDEN", message: expect.any(String) } });
    expect(h.ddb.calls()).toHaveLength(0);
  });

  it("401 when the route had no authorizer context", async () => {
    const result = await h.putLocation(put("user-1", { latitude: 1, longitude: 1 }, null), context);
    expect(result.statusCode).toBe(401);
  });

  it.each([
    ["latitude too high", { latitude: 90.5, longitude: 0 }],
    ["longitude too low", { latitude: 0, longitude: -180.5 }],
    ["strings", { latitude: "1", longitude: "2" }],
    ["missing longitude", { latitude: 1 }],
    ["extra field", { latitude: 1, longitude: 1, altitude: 3 }],
    ["null", null],
    ["an array", [1, 2]],
  ])("400 for %s", async (_, body) => {
    const result = await h.putLocation(put("user-1", body), context);
    expect(result.statusCode).toBe(400);
    expect(h.ddb.calls()).toHaveLength(0);
  });

  it("400 for a number JSON turns into Infinity", async () => {
    const result = await h.putLocation(put("user-1", '{"latitude":1e999,"longitude":0}'), context);
    expect(result.statusCode).toBe(400);
  });

  it.each([
    ['{"latitude":1e-200,"longitude":0}', 0, 0],
    ['{"latitude":0,"longitude":5e-324}', 0, 0],
    ['{"latitude":-7e-300,"longitude":-0}', 0, 0],
    ['{"latitude":1,"longitude":2,"latitude":1e-200}', 0, 2],
  ])("200 for a coordinate DynamoDB cannot store as sent, stored as 0: %s", async (body, latitude, longitude) => {
    const result = await h.putLocation(put("user-1", body), context);
    expect(result.statusCode).toBe(200);
    const item = h.ddb.commandCalls(h.lib.PutCommand)[0]?.args[0].input.Item;
    // Object.is: -0 is not 0 here, as it is not to DynamoDB's read-back.
    expect([Object.is(item?.latitude, latitude), Object.is(item?.longitude, longitude)]).toEqual([
      true,
      true,
    ]);
    expect(parse(result)).toMatchObject({ latitude, longitude });
  });

  it("400 for malformed JSON", async () => {
    const result = await h.putLocation(put("user-1", "{"), context);
    expect(result.statusCode).toBe(400);
  });

  it.each(["a b", "x/y", "../etc", "é", "a".repeat(65), ""])("400 for the odd user id %p", async (userId) => {
    const result = await h.putLocation(
      put(userId, { latitude: 1, longitude: 1 }, { userId, username: "odd" }),
      context,
    );
    expect(result.statusCode).toBe(400);
    expect(h.ddb.calls()).toHaveLength(0);
  });

  it("a 500 carries no internal detail", async () => {
    h.ddb.on(h.lib.PutCommand).rejects(new Error("table locations-test is on fire"));
    const result = await h.putLocation(put("user-1", { latitude: 1, longitude: 1 }), context);
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain("fire");
  });
});

describe("GET /locations/{userId}", () => {
  let h: Loaded;
  beforeEach(() => {
    h = load();
  });

  const get = (userId: string) => proxyEvent({ method: "GET", resource, pathParameters: { userId } });

  it("200 with the stored position", async () => {
    const item = {
      userId: "user-1",
      latitude: 1.23456,
      longitude: -4.56789,
      updatedAt: "2026-01-01T00:00:00.000Z",
    };
    h.ddb.on(h.lib.GetCommand).resolves({ Item: item });
    const result = await h.getLocation(get("user-1"), context);
    expect(result.statusCode).toBe(200);
    expect(parse(result)).toEqual(item);
  });

  it("404 when there is none", async () => {
    h.ddb.on(h.lib.GetCommand).resolves({});
    const result = await h.getLocation(get("user-1"), context);
    expect(result.statusCode).toBe(404);
    expect(parse(result)).toEqual({ error: { code: "NOT_FOUND", message: expect.any(String) } });
  });

  it("400 for an odd user id", async () => {
    const result = await h.getLocation(get("a;b"), context);
    expect(result.statusCode).toBe(400);
  });
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe("sample events (events/*.json, for sam local invoke)", () => {
  it("PutLocationFunction.json is an owner's valid update", async () => {
    const h = load();
    h.ddb.on(h.lib.PutCommand).resolves({});
    const result = await h.putLocation(sample("PutLocationFunction"), context);
    expect(result.statusCode).toBe(200);
  });

  it("GetLocationFunction.json reads a stored position", async () => {
    const h = load();
    h.ddb.on(h.lib.GetCommand).resolves({
      Item: { userId: "x", latitude: 1, longitude: 2, updatedAt: "2026-01-01T00:00:00.000Z" },
    });
    const result = await h.getLocation(sample("GetLocationFunction"), context);
    expect(result.statusCode).toBe(200);
  });
});
