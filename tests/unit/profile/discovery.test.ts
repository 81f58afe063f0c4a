import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { SignedLocationReader } from "../../../src/profile/adapters/signed-location-reader";
import { createGetProfileHandler } from "../../../src/profile/handlers/get-profile";
import {
  createProfileReaderFromConfig,
  locationEndpoint,
  profileReaderEnvironment,
} from "../../../src/profile/wiring";
import {
  type CatalogClient,
  CatalogUnavailableError,
  ServiceNotFoundError,
  ServiceUnhealthyError,
} from "../../../src/shared/catalog-client";
import { loadConfig } from "../../../src/shared/config";
import type { SignedHttpClient } from "../../../src/shared/signed-http";
import {
  captureOutput,
  context,
  type Handler,
  metricValues,
  parse,
  proxyEvent,
  TEST_CREDENTIALS,
  testObservability,
} from "../../support/handler-test";

const SSM_ORIGIN = "https://ssm0000001.execute-api.us-east-1.amazonaws.com";
const SSM_URL = `${SSM_ORIGIN}/dev`;
const CATALOG_URL = "https://cat0000001.execute-api.us-east-1.amazonaws.com/dev";

const output = captureOutput();
const { logger } = testObservability("profile");

/** What the wiring logged at WARN, each record without the keys Powertools adds to every line. */
function warnings(): Array<Record<string, unknown>> {
  return output
    .logs()
    .filter((record) => record.level === "WARN")
    .map(
      ({ level: _level, timestamp: _timestamp, service: _service, sampling_rate: _rate, ...rest }) => rest,
    );
}

function fakeCatalog(answer: () => Promise<string>): CatalogClient & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async lookup(name, version) {
      asked.push(`${name}/${version}`);
      return answer();
    },
  };
}

describe("locationEndpoint", () => {
  const config = {
    LOCATION_DISCOVERY: "catalog" as const,
    LOCATION_API_URL: SSM_URL,
    LOCATION_SERVICE_VERSION: "v1",
  };

  it("ssm: the deploy-time URL, and the catalog is never asked", () => {
    const catalog = fakeCatalog(async () => "https://elsewhere.example.com");
    expect(locationEndpoint({ ...config, LOCATION_DISCOVERY: "ssm" }, catalog, logger)).toBe(SSM_URL);
    expect(catalog.asked).toEqual([]);
  });

  it("catalog: asks for location at the configured version on every read", async () => {
    let url = `${SSM_ORIGIN}/one`;
    const catalog = fakeCatalog(async () => url);
    const endpoint = locationEndpoint({ ...config, LOCATION_SERVICE_VERSION: "v2" }, catalog, logger);
    if (typeof endpoint === "string") throw new Error("expected a lookup");
    await expect(endpoint()).resolves.toBe(`${SSM_ORIGIN}/one`);
    url = `${SSM_ORIGIN}/two`;
    await expect(endpoint()).resolves.toBe(`${SSM_ORIGIN}/two`);
    expect(catalog.asked).toEqual(["location/v2", "location/v2"]);
  });

  it.each([
    ["not registered", new ServiceNotFoundError("location", "v1")],
    ["catalog unreachable", new CatalogUnavailableError("down")],
  ])("catalog, %s: the deploy-time URL", async (_, error) => {
    const endpoint = locationEndpoint(
      config,
      fakeCatalog(async () => Promise.reject(error)),
      logger,
    );
    if (typeof endpoint === "string") throw new Error("expected a lookup");
    await expect(endpoint()).resolves.toBe(SSM_URL);
  });

  it("catalog, registered unhealthy: rejects, so there is nothing to call", async () => {
    const endpoint = locationEndpoint(
      config,
      fakeCatalog(async () => Promise.reject(new ServiceUnhealthyError("location", "v1"))),
      logger,
    );
    if (typeof endpoint === "string") throw new Error("expected a lookup");
    await expect(endpoint()).rejects.toBeInstanceOf(ServiceUnhealthyError);
  });

  describe("catalog answers are trusted only on LOCATION_API_URL's origin", () => {
    it.each([
      ["the same origin, another stage", `${SSM_ORIGIN}/v2-stage`],
      ["the same origin with its default port spelled out", `${SSM_ORIGIN}:443/dev`],
      ["the same origin in upper case", `${SSM_ORIGIN.toUpperCase().replace("HTTPS", "https")}/dev`],
    ])("%s: the catalog's URL, no warning", async (_, advertised) => {
      const endpoint = locationEndpoint(
        config,
        fakeCatalog(async () => advertised),
        logger,
      );
      if (typeof endpoint === "string") throw new Error("expected a lookup");
      await expect(endpoint()).resolves.toBe(advertised);
      expect(warnings()).toEqual([]);
    });

    it.each([
      ["another host", "https://attacker.example.com/dev"],
      ["another API on the same domain", "https://evil000001.execute-api.us-east-1.amazonaws.com/dev"],
      ["another scheme", "http://ssm0000001.execute-api.us-east-1.amazonaws.com/dev"],
      ["another port", `${SSM_ORIGIN}:8443/dev`],
      [
        "user info that hides another host",
        "https://ssm0000001.execute-api.us-east-1.amazonaws.com@evil.example.com/dev",
      ],
    ])("%s: LOCATION_API_URL instead, with a warning naming origins only", async (_, advertised) => {
      const endpoint = locationEndpoint(
        config,
        fakeCatalog(async () => `${advertised}?token=s3cret`),
        logger,
      );
      if (typeof endpoint === "string") throw new Error("expected a lookup");
      await expect(endpoint()).resolves.toBe(SSM_URL);
      const logged = warnings();
      expect(logged).toHaveLength(1);
      const [{ message, ...details } = {}] = logged;
      expect(message).toMatch(/origin/);
      expect(details).toEqual({ advertisedOrigin: new URL(advertised).origin, expectedOrigin: SSM_ORIGIN });
      expect(output.chunks().join("")).not.toContain("s3cret");
    });

    it("an unhealthy answer still rejects, whatever its origin", async () => {
      const endpoint = locationEndpoint(
        config,
        fakeCatalog(async () => Promise.reject(new ServiceUnhealthyError("location", "v1"))),
        logger,
      );
      if (typeof endpoint === "string") throw new Error("expected a lookup");
      await expect(endpoint()).rejects.toBeInstanceOf(ServiceUnhealthyError);
      expect(warnings()).toEqual([]);
    });
  });

  it("catalog without a client is a wiring bug", () => {
    expect(() => locationEndpoint(config, undefined, logger)).toThrow(/catalog client/);
  });
});

describe("createProfileReaderFromConfig configuration", () => {
  const base = {
    PROFILES_TABLE_NAME: "profiles-test",
    LOCATION_API_URL: SSM_URL,
    LOCATION_TIMEOUT_MS: "1500",
    LOCATION_DISCOVERY: "ssm",
    LOCATION_SERVICE_VERSION: "v1",
    AWS_REGION: "us-east-1",
  };

  /** The wiring from the variables, validated as on the function's first invocation. */
  const build = (env: Record<string, string | undefined>) =>
    createProfileReaderFromConfig(loadConfig(profileReaderEnvironment, env), logger);

  it("ssm: the deploy-time URL, no catalog needed", () => {
    expect(() => build(base)).not.toThrow();
  });

  it.each([
    "LOCATION_API_URL",
    "LOCATION_TIMEOUT_MS",
    "LOCATION_DISCOVERY",
    "LOCATION_SERVICE_VERSION",
  ])("a missing %s fails at load: the template always sets it, so there is no code default", (name) => {
    const env: Record<string, string | undefined> = { ...base };
    delete env[name];
    expect(() => build(env)).toThrow(name);
  });

  it("catalog needs CATALOG_API_URL", () => {
    expect(() => build({ ...base, LOCATION_DISCOVERY: "catalog" })).toThrow(/CATALOG_API_URL/);
    expect(() =>
      build({ ...base, LOCATION_DISCOVERY: "catalog", CATALOG_API_URL: CATALOG_URL }),
    ).not.toThrow();
  });

  it.each([
    ["an unknown LOCATION_DISCOVERY", { LOCATION_DISCOVERY: "dns" }, /LOCATION_DISCOVERY/],
    ["a malformed LOCATION_SERVICE_VERSION", { LOCATION_SERVICE_VERSION: "v 1" }, /LOCATION_SERVICE_VERSION/],
    ["a CATALOG_API_URL that is not http(s)", { CATALOG_API_URL: "ftp://catalog" }, /CATALOG_API_URL/],
  ])("refuses %s", (_, extra, message) => {
    expect(() => build({ ...base, ...extra })).toThrow(message);
  });
});

describe("SignedLocationReader with a lookup", () => {
  function recordingClient(): SignedHttpClient & { urls: string[] } {
    const urls: string[] = [];
    return {
      urls,
      async request(_method, url) {
        urls.push(url);
        // Location's answer names the user it is for, as the contract's does.
        const userId = decodeURIComponent(url.split("/").pop() ?? "");
        return { status: 200, body: { userId, latitude: 1, longitude: 2, updatedAt: "t" } };
      },
    };
  }

  it("resolves the base URL before each read", async () => {
    const client = recordingClient();
    const bases = ["https://a.example.com/dev/", "https://b.example.com/dev"];
    const reader = new SignedLocationReader(
      client,
      async () => bases.shift() ?? "",
      500,
      () => ({}),
    );
    await reader.read("u1");
    await reader.read("u2");
    expect(client.urls).toEqual([
      "https://a.example.com/dev/locations/u1",
      "https://b.example.com/dev/locations/u2",
    ]);
  });

  it("a rejected lookup fails the read without a request", async () => {
    const client = recordingClient();
    const reader = new SignedLocationReader(
      client,
      async () => Promise.reject(new ServiceUnhealthyError("location", "v1")),
      500,
      () => ({}),
    );
    await expect(reader.read("u1")).rejects.toBeInstanceOf(ServiceUnhealthyError);
    expect(client.urls).toEqual([]);
  });
});

describe("GET /profiles/{userId} with LOCATION_DISCOVERY=catalog", () => {
  type Reply = { status: number; body: unknown };
  /** One stand-in server: the catalog under /catalog, location under /advertised and /from-ssm. */
  let catalogReply: () => Reply;
  const requests: string[] = [];
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? "";
      requests.push(url);
      const reply: Reply = url.startsWith("/catalog/")
        ? catalogReply()
        : {
            status: 200,
            body: { userId: "user-1", latitude: 48.858372, longitude: 2.294481, updatedAt: "t" },
          };
      res.writeHead(reply.status, { "content-type": "application/json" });
      res.end(JSON.stringify(reply.body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  let getProfile: Handler;
  let ddb: AwsClientStub<DynamoDBDocumentClient>;

  beforeEach(() => {
    requests.length = 0;
    // A fresh handler per test: the catalog client's cache lives as long as the handler, as in Lambda.
    ddb = mockClient(DynamoDBDocumentClient);
    ddb.on(GetCommand).resolves({
      Item: { userId: "user-1", displayName: "Alice", bio: null, version: 1, updatedAt: "t" },
    });
    const config = loadConfig(profileReaderEnvironment, {
      PROFILES_TABLE_NAME: "profiles-test",
      LOCATION_API_URL: `${origin}/from-ssm`,
      LOCATION_TIMEOUT_MS: "500",
      LOCATION_DISCOVERY: "catalog",
      LOCATION_SERVICE_VERSION: "v1",
      CATALOG_API_URL: origin,
      AWS_REGION: "us-east-1",
    });
    const observability = testObservability("profile");
    getProfile = createGetProfileHandler({
      profiles: createProfileReaderFromConfig(config, observability.logger, {
        credentials: TEST_CREDENTIALS,
      }),
      ...observability,
    });
  });

  afterEach(() => ddb.restore());

  const read = async () =>
    getProfile(
      proxyEvent({ method: "GET", resource: "/profiles/{userId}", pathParameters: { userId: "user-1" } }),
      context,
    );

  it("calls location where the catalog says, and asks the catalog once within the ttl", async () => {
    catalogReply = () => ({
      status: 200,
      body: { endpoint_url: `${origin}/advertised`, ttl: 60, status: "healthy" },
    });
    for (let index = 0; index < 3; index++) {
      const result = await read();
      expect(parse(result)).toMatchObject({ location: { latitude: 48.86, longitude: 2.29 } });
    }
    expect(requests).toEqual([
      "/catalog/location/v1",
      "/advertised/locations/user-1",
      "/advertised/locations/user-1",
      "/advertised/locations/user-1",
    ]);
  });

  it("registered unhealthy: degrades without calling location, and counts it", async () => {
    catalogReply = () => ({
      status: 200,
      body: { endpoint_url: `${origin}/advertised`, ttl: 60, status: "unhealthy" },
    });
    const result = await read();
    expect(result.statusCode).toBe(200);
    expect(parse(result)).toEqual({
      userId: "user-1",
      displayName: "Alice",
      bio: null,
      location: null,
      locationStatus: "unavailable",
    });
    expect(requests).toEqual(["/catalog/location/v1"]);
    expect(metricValues(output.emf(), "LocationLookupDegraded").map(({ value }) => value)).toEqual([1]);
  });

  it.each([
    ["not registered", { status: 404, body: { error_message: "Service Not Found" } }],
    ["catalog failing", { status: 502, body: { message: "Internal server error" } }],
  ])("%s: falls back to LOCATION_API_URL", async (_, reply) => {
    catalogReply = () => reply;
    const result = await read();
    expect(parse(result)).toMatchObject({ location: { latitude: 48.86 } });
    expect(requests).toEqual(["/catalog/location/v1", "/from-ssm/locations/user-1"]);
  });

  it("registered on another origin: the signed read goes to LOCATION_API_URL, never there", async () => {
    // localhost reaches this same server, so a request to the advertised URL would show up below.
    const elsewhere = origin.replace("127.0.0.1", "localhost");
    catalogReply = () => ({
      status: 200,
      body: { endpoint_url: `${elsewhere}/advertised`, ttl: 60, status: "healthy" },
    });
    const result = await read();
    expect(parse(result)).toMatchObject({ location: { latitude: 48.86 } });
    expect(requests).toEqual(["/catalog/location/v1", "/from-ssm/locations/user-1"]);
  });
});
