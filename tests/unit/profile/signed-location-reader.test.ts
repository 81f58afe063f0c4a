import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SignedLocationReader } from "../../../src/profile/adapters/signed-location-reader";
import type { Profile, ProfileStore } from "../../../src/profile/domain/ports";
import { createProfileReader } from "../../../src/profile/domain/profile";
import { withDeadline } from "../../../src/shared/deadline";
import { DependencyError } from "../../../src/shared/errors";
import { createSignedHttpClient } from "../../../src/shared/signed-http";

type Route = (req: IncomingMessage, res: ServerResponse) => void;

/** A stand-in for the location API on 127.0.0.1; each test sets how it answers. */
let route: Route = (_req, res) => res.end();
let server: Server;
let baseUrl: string;
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    route(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dev/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
});

const credentials = async () => ({ accessKeyId: "AKIDTEST", secretAccessKey: "secret" });

function reader(timeoutMs = 300, url = baseUrl, creds = credentials) {
  const client = createSignedHttpClient({ region: "eu-west-1", service: "execute-api", credentials: creds });
  return new SignedLocationReader(client, url, timeoutMs);
}

function reply(status: number, body: unknown, contentType = "application/json"): Route {
  return (_req, res) => {
    res.writeHead(status, { "content-type": contentType });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
}

const position = {
  userId: "u1",
  latitude: 48.858372,
  longitude: 2.294481,
  updatedAt: "2026-01-01T00:00:00.000Z",
};

describe("SignedLocationReader", () => {
  it("GETs {base}/locations/{userId}, SigV4-signed for execute-api, and returns the position", async () => {
    route = reply(200, position);
    await expect(reader().read("u1")).resolves.toEqual({
      latitude: 48.858372,
      longitude: 2.294481,
      updatedAt: "2026-01-01T00:00:00.000Z",
    });
    const request = seen[0];
    expect(request?.method).toBe("GET");
    expect(request?.url).toBe("/dev/locations/u1");
    const authorization = String(request?.headers.authorization);
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/execute-api\/aws4_request/,
    );
    expect(request?.headers["x-amz-date"]).toBeDefined();
  });

  it.each([
    ["another user's position", { ...position, userId: "victim" }],
    ["a position without its user", { latitude: 1, longitude: 2, updatedAt: position.updatedAt }],
  ])("rejects %s: a read must be for the user it asked about", async (_, body) => {
    route = reply(200, body);
    await expect(reader().read("u1")).rejects.toBeInstanceOf(DependencyError);
  });

  it("location's own 404 means no location", async () => {
    route = reply(404, { error: { code: "NOT_FOUND", message: "No location" } });
    await expect(reader().read("u1")).resolves.toBeNull();
  });

  it.each([
    ["403 (resource policy or signature)", reply(403, { message: "Forbidden" })],
    ["500", reply(500, { error: { code: "INTERNAL_ERROR", message: "x" } })],
    ["503", reply(503, "Service Unavailable", "text/plain")],
    ["a 404 that is not location's (wrong URL)", reply(404, "<html>Not Found</html>", "text/html")],
    ["200 with HTML", reply(200, "<html>hello</html>", "text/html")],
    ["200 with an empty body", reply(200, "")],
    ["200 with the wrong shape", reply(200, { lat: 1, lon: 2 })],
    ["200 with strings for numbers", reply(200, { ...position, latitude: "48.8" })],
    ["200 with an impossible latitude", reply(200, { ...position, latitude: 123 })],
    ["200 with a JSON array", reply(200, [position])],
    [
      "302",
      (_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(302, { location: "http://127.0.0.1:1/elsewhere" });
        res.end();
      },
    ],
  ])("rejects on %s", async (_, answer) => {
    route = answer as Route;
    await expect(reader().read("u1")).rejects.toThrow();
  });

  it("rejects when the connection is reset", async () => {
    route = (req) => req.socket.destroy();
    await expect(reader().read("u1")).rejects.toThrow(DependencyError);
  });

  it("rejects when nothing listens", async () => {
    await expect(reader(300, "http://127.0.0.1:1/dev").read("u1")).rejects.toThrow(DependencyError);
  });

  it("gives up at the timeout when the service never answers", async () => {
    route = () => {
      // Never respond.
    };
    const started = Date.now();
    await expect(reader(200).read("u1")).rejects.toThrow();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(1500);
  });

  it("gives up at the timeout when headers come but the body stalls", async () => {
    route = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"latitude":');
    };
    const started = Date.now();
    await expect(reader(200).read("u1")).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("gives up at the timeout when credentials never resolve (before any request is sent)", async () => {
    const stalled = () => new Promise<never>(() => {});
    const started = Date.now();
    await expect(reader(200, baseUrl, stalled).read("u1")).rejects.toThrow(/timed out/);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(seen).toHaveLength(0);
  });
});

describe("withDeadline", () => {
  it("passes a result through and clears its timer", async () => {
    await expect(
      withDeadline(
        async () => 7,
        50,
        () => new Error("x"),
      ),
    ).resolves.toBe(7);
  });

  it("passes a rejection through", async () => {
    await expect(
      withDeadline(
        async () => Promise.reject(new Error("no")),
        50,
        () => new Error("x"),
      ),
    ).rejects.toThrow("no");
  });

  it("rejects with the timeout error and aborts the signal when work never settles", async () => {
    let seenSignal: AbortSignal | undefined;
    const work = (signal: AbortSignal) => {
      seenSignal = signal;
      return new Promise<never>(() => {});
    };
    await expect(withDeadline(work, 20, () => new Error("too slow"))).rejects.toThrow("too slow");
    expect(seenSignal?.aborted).toBe(true);
  });
});

describe("GET profile over a failing location service (domain + adapter)", () => {
  const profile: Profile = { userId: "u1", displayName: "Alice", bio: "hi", version: 2, updatedAt: "x" };
  const store: ProfileStore = {
    get: async () => profile,
    create: async () => false,
    replace: async () => false,
  };

  it.each([
    ["timeout", () => {}],
    ["5xx", reply(502, { message: "Bad gateway" })],
    ["403", reply(403, { message: "User is not authorized" })],
    ["garbage", reply(200, "not json at all", "text/plain")],
  ])("%s: still 200-worthy, location null and unavailable", async (_, answer) => {
    route = answer as Route;
    const result = await createProfileReader({ store, locations: reader(200) }).getPublic("u1");
    expect(result.profile).toEqual({
      userId: "u1",
      displayName: "Alice",
      bio: "hi",
      location: null,
      locationStatus: "unavailable",
    });
  });

  it("success: the public position is rounded", async () => {
    route = reply(200, position);
    const result = await createProfileReader({ store, locations: reader() }).getPublic("u1");
    expect(result.profile.location).toEqual({
      latitude: 48.86,
      longitude: 2.29,
      updatedAt: position.updatedAt,
    });
    expect(result.profile).not.toHaveProperty("locationStatus");
  });
});
