import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { createGetLocationHandler } from "../../../../src/location/handlers/get-location";
import { createPutLocationHandler } from "../../../../src/location/handlers/put-location";
import { createLocationServiceFromConfig } from "../../../../src/location/wiring";
import { createGetProfileHandler } from "../../../../src/profile/handlers/get-profile";
import { createProfileReaderFromConfig, profileReaderEnvironment } from "../../../../src/profile/wiring";
import { loadConfig } from "../../../../src/shared/config";
import { createDocumentClient } from "../../../../src/shared/dynamodb";
import { loadTemplate } from "../../../../tools/lib/cfn-yaml";
import { ROOT } from "../../../../tools/lib/project";
import {
  type CapturedOutput,
  captureOutput,
  type Emf,
  type Handler,
  lambdaContext,
  metricValues,
  proxyEvent,
  TEST_CREDENTIALS,
  testObservability,
} from "../../../support/handler-test";
import { API_REQUEST_ID } from "../../../support/proxy-event";
import { authFunctions } from "../../auth/functions";

/*
 * Each function is built as its composition root builds it, with a Logger and
 * Metrics from createObservability writing to stdout and stderr, as in Lambda
 * (no POWERTOOLS_DEV): what is captured is what CloudWatch Logs receives.
 */
const output = captureOutput();

/** The one EMF document that published `name`, checked to be what CloudWatch and the alarms expect. */
function expectMetric(captured: CapturedOutput, name: string, value: number, service: string): Emf {
  const published = metricValues(captured.emf(), name);
  expect([name, published.length]).toEqual([name, 1]);
  const [{ document } = { document: undefined }] = published;
  if (!document) throw new Error(`${name} was not published`);
  expect(document[name]).toBe(value);
  expect(document.service).toBe(service);
  expect(document._aws.CloudWatchMetrics).toEqual([
    {
      Namespace: "Meridian/test",
      Dimensions: [["service"]],
      Metrics: expect.arrayContaining([{ Name: name, Unit: "Count" }]),
    },
  ]);
  return document;
}

describe("auth metrics", () => {
  const load = () => authFunctions({ maxAttempts: 3, signingKey: "k".repeat(64) });

  const post = (resource: string, body: unknown) => proxyEvent({ method: "POST", resource, body });

  test("a registration publishes UsersRegistered = 1, and the first request ColdStart = 1", async () => {
    const auth = load();
    auth.ddb.on(PutCommand).resolves({});

    const first = await auth.register(
      post("/users", { username: "alice", password: "a long enough password" }),
      lambdaContext("register"),
    );
    expect(first.statusCode).toBe(201);
    expectMetric(output, "UsersRegistered", 1, "auth");
    expectMetric(output, "ColdStart", 1, "auth");

    output.clear();
    await auth.register(
      post("/users", { username: "bob", password: "a long enough password" }),
      lambdaContext("register"),
    );
    expectMetric(output, "UsersRegistered", 1, "auth");
    expect(metricValues(output.emf(), "ColdStart")).toEqual([]);
  });

  test("a rejected registration publishes no UsersRegistered", async () => {
    const auth = load();
    const response = await auth.register(post("/users", { username: "al" }), lambdaContext("register"));
    expect(response.statusCode).toBe(400);
    expect(metricValues(output.emf(), "UsersRegistered")).toEqual([]);
  });

  test("logins publish LoginSucceeded, LoginFailed and LoginLockedOut", async () => {
    const auth = load();
    const hash = await auth.hasher.hash("the right password");
    auth.answerLogins(
      [{ pk: "USER#alice", userId: "user-1", username: "alice", passwordHash: hash, createdAt: "x" }],
      "carol",
    );
    const login = (username: string, password: string) =>
      auth.login(post("/tokens", { username, password }), lambdaContext("login"));

    expect((await login("alice", "the right password")).statusCode).toBe(201);
    expectMetric(output, "LoginSucceeded", 1, "auth");
    output.clear();
    expect((await login("alice", "a wrong password")).statusCode).toBe(401);
    expectMetric(output, "LoginFailed", 1, "auth");
    output.clear();
    expect((await login("carol", "any password at all")).statusCode).toBe(429);
    expectMetric(output, "LoginLockedOut", 1, "auth");
    expect(metricValues(output.emf(), "LoginFailed")).toEqual([]);
  });
});

describe("location metrics", () => {
  test("an update publishes LocationUpdated = 1 under service=location", async () => {
    const dynamodb = createDocumentClient();
    mockClient(dynamodb).on(PutCommand).resolves({});
    const location = {
      put: createPutLocationHandler({
        locations: createLocationServiceFromConfig({ LOCATIONS_TABLE_NAME: "locations-test" }, dynamodb),
        ...testObservability("location"),
      }),
    };
    const response = await location.put(
      proxyEvent({
        method: "PUT",
        resource: "/locations/{userId}",
        pathParameters: { userId: "user-1" },
        body: { latitude: 48.8584, longitude: 2.2945 },
        principal: { userId: "user-1", username: "alice" },
      }),
      lambdaContext("put-location"),
    );
    expect(response.statusCode).toBe(200);
    expectMetric(output, "LocationUpdated", 1, "location");
  });
});

/**
 * A stand-in for the location API: turns the HTTP request profile sends into
 * the proxy event API Gateway would pass location's handler, so the call
 * crosses a real HTTP hop with real headers.
 */
function locationApi(handler: () => Handler | undefined): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const headers = Object.fromEntries(
      Object.entries(req.headers).flatMap(([key, value]) =>
        typeof value === "string" ? [[key, value]] : [],
      ),
    );
    const userId = decodeURIComponent((req.url ?? "").split("/").pop() ?? "");
    const target = handler();
    if (!target) {
      res.statusCode = 503;
      res.end("{}");
      return;
    }
    target(
      {
        ...proxyEvent({
          method: "GET",
          resource: "/locations/{userId}",
          pathParameters: { userId },
          headers,
        }),
        requestContext: { requestId: "location-api-request" } as APIGatewayProxyEvent["requestContext"],
      },
      lambdaContext("get-location"),
    ).then((result) => {
      res.writeHead(result.statusCode, result.headers as Record<string, string>);
      res.end(result.body);
    });
  });
}

describe("profile metrics and correlation with location", () => {
  let server: Server;
  let url: string;
  let getLocation: Handler | undefined;

  beforeAll(async () => {
    server = locationApi(() => getLocation);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/test`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  afterEach(() => {
    getLocation = undefined;
  });

  const loadProfile = () => {
    const dynamodb = createDocumentClient();
    mockClient(dynamodb)
      .on(GetCommand)
      .resolves({
        Item: {
          userId: "user-1",
          displayName: "Alice",
          bio: null,
          version: 1,
          updatedAt: "2024-01-01T00:00:00Z",
        },
      });
    const config = loadConfig(profileReaderEnvironment, {
      PROFILES_TABLE_NAME: "profiles-test",
      LOCATION_API_URL: url,
      LOCATION_TIMEOUT_MS: "1000",
      LOCATION_DISCOVERY: "ssm",
      LOCATION_SERVICE_VERSION: "v1",
      AWS_REGION: "eu-west-1",
    });
    const observability = testObservability("profile");
    const clients = { dynamodb, credentials: TEST_CREDENTIALS };
    return {
      get: createGetProfileHandler({
        profiles: createProfileReaderFromConfig(config, observability.logger, clients),
        ...observability,
      }),
    };
  };
  const loadLocation = (): Handler => {
    const dynamodb = createDocumentClient();
    mockClient(dynamodb)
      .on(GetCommand)
      .resolves({
        Item: { userId: "user-1", latitude: 48.8584, longitude: 2.2945, updatedAt: "2024-01-01T00:00:00Z" },
      });
    return createGetLocationHandler({
      locations: createLocationServiceFromConfig({ LOCATIONS_TABLE_NAME: "locations-test" }, dynamodb),
      ...testObservability("location"),
    });
  };
  const read = (profile: { get: Handler }, headers: Record<string, string> = {}) =>
    profile.get(
      proxyEvent({
        method: "GET",
        resource: "/profiles/{userId}",
        pathParameters: { userId: "user-1" },
        headers,
      }),
      lambdaContext("get-profile"),
    );

  test("a degraded read publishes ProfileRead and LocationLookupDegraded, as the alarm watches it", async () => {
    const profile = loadProfile();
    // No location handler: the stand-in answers 503, so the lookup degrades.
    const response = await read(profile);
    expect(response.statusCode).toBe(200);
    expectMetric(output, "ProfileRead", 1, "profile");
    const document = expectMetric(output, "LocationLookupDegraded", 1, "profile");

    // The alarm in src/profile/template.yaml must watch exactly this series.
    const template = loadTemplate(join(ROOT, "src", "profile", "template.yaml"));
    const alarm = Object.values(template.Resources).find(
      (resource) =>
        resource.Type === "AWS::CloudWatch::Alarm" &&
        resource.Properties?.MetricName === "LocationLookupDegraded",
    );
    const namespace = String(
      (alarm?.Properties?.Namespace as { "Fn::Sub"?: string } | undefined)?.["Fn::Sub"],
    );
    expect(namespace.replace(`\${Environment}`, "test")).toBe(document._aws.CloudWatchMetrics[0]?.Namespace);
    const [group] = document._aws.CloudWatchMetrics;
    const dimensions = alarm?.Properties?.Dimensions as Array<{ Name: string; Value: string }>;
    expect([dimensions.map((dimension) => dimension.Name)]).toEqual(group?.Dimensions);
    for (const dimension of dimensions) expect(document[dimension.Name]).toBe(dimension.Value);
  });

  test("a read with its location publishes ProfileRead only", async () => {
    const profile = loadProfile();
    getLocation = loadLocation();
    const response = await read(profile);
    expect(JSON.parse(response.body)).toMatchObject({ location: { latitude: 48.86, longitude: 2.29 } });
    expectMetric(output, "ProfileRead", 1, "profile");
    expect(metricValues(output.emf(), "LocationLookupDegraded")).toEqual([]);
  });

  test("the caller's correlation id reaches location, and both services log it", async () => {
    const profile = loadProfile();
    getLocation = loadLocation();

    const response = await read(profile, { "X-Correlation-Id": "trace-0123" });

    expect(response.statusCode).toBe(200);
    expect(response.headers?.["x-correlation-id"]).toBe("trace-0123");
    const byService = (service: string) => output.logs().filter((entry) => entry.service === service);
    const completed = (service: string) =>
      byService(service).filter((entry) => entry.message === "Request completed");
    expect(completed("location")).toHaveLength(1);
    expect(completed("profile")).toHaveLength(1);
    for (const entry of [...byService("location"), ...byService("profile")]) {
      expect(entry).toMatchObject({ correlationId: "trace-0123" });
      // Every line also says which invocation wrote it.
      expect(entry.function_request_id).toEqual(expect.any(String));
      expect(entry.cold_start).toEqual(expect.any(Boolean));
    }
  });

  test("without an incoming id, profile's own request id is what location logs", async () => {
    const profile = loadProfile();
    getLocation = loadLocation();
    await read(profile);
    const location = output.logs().find((entry) => entry.service === "location");
    expect(location?.correlationId).toBe(API_REQUEST_ID);
  });

  test("an unusable incoming id is replaced, not echoed", async () => {
    const profile = loadProfile();
    const response = await read(profile, { "x-correlation-id": `bad id\r\n${"x".repeat(300)}` });
    expect(response.headers?.["x-correlation-id"]).toBe(API_REQUEST_ID);
    expect(output.logs().every((entry) => entry.correlationId === API_REQUEST_ID)).toBe(true);
  });
});
