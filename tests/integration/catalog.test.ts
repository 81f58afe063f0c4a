import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { FunctionCredentials, LocalCredentials, LogEntry } from "@meridian/local-stack";
import { poll as pollFor } from "../../tools/lib/cli";
import { call, type JsonReply } from "../support/json-call";
import { signedFetch, startTestStack, type TestStack } from "../support/local-stack";

/*
 * Runtime discovery end to end on the local stack: the registrars' start-up
 * run, the catalog's routes, the registrars following stopService /
 * startService, and profile finding location through the catalog.
 *
 * Registrar runs are triggered with runSchedules, never waited for. What is
 * waited for is profile's cached catalog answer to expire (location's
 * registration ttl is 2 s locally): those waits poll, with generous deadlines,
 * so a loaded machine only makes them slower.
 */

let stack: TestStack;

beforeAll(async () => {
  // The timer's first run (~1 s after start) is the start-up registration under test; after it,
  // only the tests' own runSchedules calls run the registrars.
  stack = await startTestStack({ schedules: true, scheduleEveryMs: 60 * 60_000 });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const VERSION = "v1";
const POLL_DEADLINE_MS = 20_000;
// Polls wait up to POLL_DEADLINE_MS; the test's own timeout must not cut them short.
jest.setTimeout(60_000);
const PASSWORD = "correct horse battery staple";
const json = { "content-type": "application/json" };

const catalogUrl = (path: string): string => `${stack.endpoints.catalog}${path}`;
const lookup = (service: string, version = VERSION): Promise<JsonReply> =>
  call("GET", catalogUrl(`/catalog/${service}/${version}`));

/** The credentials `service`'s registrar function signs with (the catalog admits only it for that service). */
function registrarOf(service: string): FunctionCredentials {
  const registrar = Object.values(stack.functions).find(
    (fn) => fn.functionName === `meridian-${stack.environment}-${service}-registrar`,
  );
  if (!registrar) throw new Error(`no registrar function for ${service}`);
  return registrar.credentials;
}

/** A POST signed as the registrar of the body's service, unless `as` names other credentials. */
function signedPost(
  path: string,
  body: { service_name: string; [field: string]: unknown },
  as: FunctionCredentials | LocalCredentials = registrarOf(body.service_name),
): Promise<Response> {
  return signedFetch(
    stack,
    catalogUrl(path),
    { method: "POST", body: JSON.stringify(body), headers: json },
    as,
  );
}

const poll = <T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> =>
  pollFor(what, attempt, POLL_DEADLINE_MS);

/** Gateway access-log lines (`<api>: GET /<stage>/<path> -> <status>` on an API's own port) logged while `work` ran. */
async function gatewayLinesDuring<T>(work: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const from = stack.logs.length;
  const result = await work();
  // The log keeps its first 5000 entries only; past that a count of zero would prove nothing.
  expect(stack.logs.length).toBeLessThan(5000);
  const lines = stack.logs
    .slice(from)
    .filter((entry: LogEntry) => entry.source === "gateway")
    // `location: GET /local/locations/... -> 200` for a request on location's own port.
    .map((entry) => (entry.service === undefined ? entry.message : `${entry.service}: ${entry.message}`));
  return { result, lines };
}

const isCatalogLookup = (line: string): boolean =>
  line.startsWith(`catalog: GET /${stack.environment}/catalog/`);
const isLocationCall = (line: string): boolean => line.startsWith(`location: GET /${stack.environment}/`);

/** A registration of location under a version of its own, so tests never disturb the real one. */
function registration(overrides: Record<string, unknown> = {}) {
  return {
    service_name: "location",
    service_version: `test-${randomUUID().slice(0, 8)}`,
    endpoint_url: "https://example.com/one",
    ttl: 60,
    status: "healthy",
    ...overrides,
  };
}

describe("the catalog's routes", () => {
  test("at start every service is registered healthy with its local endpoint", async () => {
    const services = Object.keys(stack.endpoints);
    expect(services).toEqual(expect.arrayContaining(["auth", "catalog", "location", "profile"]));
    for (const service of services) {
      const found = await poll(`${service} to register`, async () => {
        const reply = await lookup(service);
        return reply.status === 200 ? reply : undefined;
      });
      expect(found.body).toStrictEqual({
        endpoint_url: stack.endpoints[service],
        ttl: expect.any(Number),
        status: "healthy",
      });
    }
    // environments.yaml gives location a 2 s ttl locally; everyone else keeps the 300 s default.
    expect((await lookup("location")).body.ttl).toBe(2);
    expect((await lookup("auth")).body.ttl).toBe(300);
  });

  test("an unknown service: 404 with exactly the legacy body", async () => {
    const reply = await lookup(`nobody-${randomUUID().slice(0, 8)}`);
    expect(reply.status).toBe(404);
    expect(reply.text).toBe('{"error_message":"Service Not Found"}');
  });

  test("an unsigned register: 403, and nothing is registered", async () => {
    const body = registration();
    const reply = await call("POST", catalogUrl("/catalog/register"), {
      body: JSON.stringify(body),
      headers: json,
    });
    expect(reply.status).toBe(403);
    expect((await lookup(body.service_name, body.service_version)).status).toBe(404);
  });

  test("another service's registrar, or the operator, may not change a registration: 403", async () => {
    const body = registration();
    const byAuth = await signedPost("/catalog/register", body, registrarOf("auth"));
    expect(byAuth.status).toBe(403);
    expect(await byAuth.json()).toStrictEqual({
      error: { code: "FORBIDDEN", message: "Only location's own registrar may change its registration" },
    });
    // The operator passes the local resource policy, as the issue asks, but is no registrar.
    expect((await signedPost("/catalog/register", body, stack.credentials)).status).toBe(403);
    expect((await lookup(body.service_name, body.service_version)).status).toBe(404);

    expect((await signedPost("/catalog/register", body)).status).toBe(201);
    const deregistration = { service_name: body.service_name, service_version: body.service_version };
    expect((await signedPost("/catalog/deregister", deregistration, registrarOf("profile"))).status).toBe(
      403,
    );
    expect((await lookup(body.service_name, body.service_version)).status).toBe(200);
  });

  test("a signed register overwrites the same name and version; deregister removes it", async () => {
    const first = registration();
    expect((await signedPost("/catalog/register", first)).status).toBe(201);
    expect((await lookup(first.service_name, first.service_version)).body).toStrictEqual({
      endpoint_url: "https://example.com/one",
      ttl: 60,
      status: "healthy",
    });

    const second = { ...first, endpoint_url: "https://example.com/two", ttl: 30, status: "unhealthy" };
    expect((await signedPost("/catalog/register", second)).status).toBe(201);
    expect((await lookup(first.service_name, first.service_version)).body).toStrictEqual({
      endpoint_url: "https://example.com/two",
      ttl: 30,
      status: "unhealthy",
    });

    const removed = await signedPost("/catalog/deregister", {
      service_name: first.service_name,
      service_version: first.service_version,
    });
    expect(removed.status).toBe(200);
    expect(await removed.json()).toMatchObject({ removed: true });
    const gone = await lookup(first.service_name, first.service_version);
    expect(gone.status).toBe(404);
    expect(gone.body).toStrictEqual({ error_message: "Service Not Found" });
  });
});

describe("registrations expire unless refreshed", () => {
  // environments.yaml: RegistrationExpirySeconds 60 for the catalog locally.
  const EXPIRY_SECONDS = 60;
  const TABLE = "meridian-local-catalog-ServicesTable";
  let documents: DynamoDBDocumentClient;

  beforeAll(() => {
    documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: stack.dynamodbEndpoint,
        region: stack.region,
        credentials: stack.credentials,
      }),
    );
  });

  afterAll(() => documents?.destroy());

  const nowSeconds = (): number => Math.floor(Date.now() / 1000);
  const storedExpiry = async (service: string, version = VERSION): Promise<unknown> =>
    (await documents.send(new GetCommand({ TableName: TABLE, Key: { name: service, version } }))).Item
      ?.expires_at;

  test("a signed register answers with the expiry it stored, the local 60 s out", async () => {
    const body = registration();
    const before = nowSeconds();
    const reply = await signedPost("/catalog/register", body);
    expect(reply.status).toBe(201);
    const { expires_at } = (await reply.json()) as { expires_at: number };
    expect(expires_at).toBeGreaterThanOrEqual(before + EXPIRY_SECONDS);
    expect(expires_at).toBeLessThanOrEqual(nowSeconds() + EXPIRY_SECONDS);
    expect(await storedExpiry(body.service_name, body.service_version)).toBe(expires_at);
    // GET keeps the legacy wire format.
    expect((await lookup(body.service_name, body.service_version)).body).toStrictEqual({
      endpoint_url: body.endpoint_url,
      ttl: body.ttl,
      status: body.status,
    });
  });

  test("an expired registration is not found though the local store never deletes it; the registrar's next run restores it", async () => {
    // What a registrar deleted with its stack leaves behind, without waiting a minute for it.
    await documents.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: { name: "auth", version: VERSION },
        UpdateExpression: "SET expires_at = :past",
        ExpressionAttributeValues: { ":past": nowSeconds() - 1 },
      }),
    );
    const expired = await lookup("auth");
    expect(expired.status).toBe(404);
    expect(expired.text).toBe('{"error_message":"Service Not Found"}');
    expect(await storedExpiry("auth")).toBeDefined();

    const before = nowSeconds();
    const [run] = await stack.runSchedules("auth");
    expect(run?.outcome).toMatchObject({ ok: true, payload: { action: "registered", status: "healthy" } });
    expect((await lookup("auth")).body).toStrictEqual({
      endpoint_url: stack.endpoints.auth,
      ttl: 300,
      status: "healthy",
    });
    expect(await storedExpiry("auth")).toBeGreaterThanOrEqual(before + EXPIRY_SECONDS);
  });
});

describe("registrars follow what the stack serves; profile follows the catalog", () => {
  let userId: string;
  let updatedAt: string;
  const profileUrl = (): string => `${stack.endpoints.profile}/profiles/${userId}`;
  const readProfile = (): Promise<JsonReply> => call("GET", profileUrl());
  const located = (reply: JsonReply): boolean => reply.status === 200 && reply.body.location !== null;

  beforeAll(async () => {
    const username = `cat-${randomUUID().slice(0, 8)}`;
    const credentials = JSON.stringify({ username, password: PASSWORD });
    const user = await call("POST", `${stack.endpoints.auth}/users`, { body: credentials, headers: json });
    const login = await call("POST", `${stack.endpoints.auth}/tokens`, { body: credentials, headers: json });
    userId = user.body.userId;
    const owner = { ...json, Authorization: `Bearer ${login.body.token}` };
    const put = await call("PUT", `${stack.endpoints.location}/locations/${userId}`, {
      body: JSON.stringify({ latitude: 51.507351, longitude: -0.127758 }),
      headers: owner,
    });
    expect(put.status).toBe(200);
    updatedAt = put.body.updatedAt;
    const profile = await call("PUT", profileUrl(), {
      body: JSON.stringify({ displayName: "Ada" }),
      headers: owner,
    });
    expect(profile.status).toBe(200);
  }, 60_000);

  test("profile calls the endpoint the catalog advertises, not the one from SSM", async () => {
    // No profile read has happened yet in this stack, so nothing is cached.
    // Same origin as LOCATION_API_URL (profile trusts no other), another path: not location's stage.
    const elsewhere = `${new URL(stack.endpoints.location ?? "").origin}/elsewhere`;
    const moved = { service_name: "location", service_version: VERSION, endpoint_url: elsewhere, ttl: 1 };
    expect((await signedPost("/catalog/register", { ...moved, status: "healthy" })).status).toBe(201);

    // The first read asks the catalog (a lookup that timed out on a busy machine would fall back, hence the poll).
    const { result, lines } = await poll("profile to call the advertised endpoint", async () => {
      const during = await gatewayLinesDuring(readProfile);
      return during.lines.some((line) => line.startsWith("location: GET /elsewhere/")) ? during : undefined;
    });
    expect(lines).toContain(`location: GET /elsewhere/locations/${userId} -> 403`);
    expect(lines.filter(isLocationCall)).toEqual([]);
    expect(result.body).toMatchObject({ location: null, locationStatus: "unavailable" });

    // The registrar puts the real endpoint back; profile sees it once the 1 s ttl has passed.
    const [run] = await stack.runSchedules("location");
    expect(run?.outcome).toMatchObject({ ok: true, payload: { action: "registered", status: "healthy" } });
    await poll("profile to read location again", async () => {
      const reply = await readProfile();
      return located(reply) ? reply : undefined;
    });
  });

  test("stopService(location) + a registrar run: unhealthy, and profile degrades without calling location", async () => {
    await stack.stopService("location");
    const runs = await stack.runSchedules("location");
    expect(runs.map((run) => run.outcome)).toEqual([
      expect.objectContaining({ ok: true, payload: expect.objectContaining({ status: "unhealthy" }) }),
    ]);
    expect((await lookup("location")).body).toMatchObject({ status: "unhealthy" });

    // Until profile's cached "healthy" expires it still calls location (and gets the gateway's 503);
    // after that the catalog's answer alone makes it degrade.
    const degraded = await poll("profile to act on the catalog's unhealthy answer", async () => {
      const { result, lines } = await gatewayLinesDuring(readProfile);
      return lines.some(isCatalogLookup) && !lines.some(isLocationCall) ? result : undefined;
    });
    expect(degraded.status).toBe(200);
    expect(degraded.body).toStrictEqual({
      userId,
      displayName: "Ada",
      bio: null,
      location: null,
      locationStatus: "unavailable",
    });
  });

  test("startService(location) + a registrar run: healthy again, and profile shows the rounded location", async () => {
    await stack.startService("location");
    const [run] = await stack.runSchedules("location");
    expect(run?.outcome).toMatchObject({ ok: true, payload: { action: "registered", status: "healthy" } });
    expect((await lookup("location")).body).toMatchObject({ status: "healthy" });

    const read = await poll("profile to show the location again", async () => {
      const reply = await readProfile();
      return located(reply) ? reply : undefined;
    });
    expect(read.body).toStrictEqual({
      userId,
      displayName: "Ada",
      bio: null,
      location: { latitude: 51.51, longitude: -0.13, updatedAt },
    });
  });

  test("profile reads make zero catalog calls with a warm client cache", async () => {
    // A registration with a ttl far longer than the reads take, so the window is not a race.
    const ttlSeconds = 60;
    const body = {
      service_name: "location",
      service_version: VERSION,
      endpoint_url: stack.endpoints.location,
      ttl: ttlSeconds,
      status: "healthy",
    };
    expect((await signedPost("/catalog/register", body)).status).toBe(201);
    // The one read that (re)fills the cache: it asks the catalog once its 2 s entry has expired.
    await poll("profile to look location up again", async () => {
      const { result, lines } = await gatewayLinesDuring(readProfile);
      return lines.some(isCatalogLookup) ? result : undefined;
    });

    const reads = 25;
    const started = Date.now();
    const { result: replies, lines } = await gatewayLinesDuring(async () => {
      const replies: JsonReply[] = [];
      for (let index = 0; index < reads; index++) replies.push(await readProfile());
      return replies;
    });
    const elapsedMs = Date.now() - started;
    const catalogCalls = lines.filter(isCatalogLookup).length;
    console.log(
      `${reads} profile reads in ${elapsedMs} ms with a warm cache: ${catalogCalls} catalog calls, ` +
        `${lines.filter(isLocationCall).length} location calls`,
    );
    expect(elapsedMs).toBeLessThan(ttlSeconds * 1000);
    expect(replies.every(located)).toBe(true);
    expect(catalogCalls).toBe(0);
    expect(lines.filter(isLocationCall)).toHaveLength(reads);
  });

  test("stopService(location, {functions: true}) + a registrar run: deregistered; started again: registered", async () => {
    await stack.stopService("location", { functions: true });
    const [gone] = await stack.runSchedules("location");
    expect(gone?.outcome).toMatchObject({ ok: true, payload: { action: "deregistered" } });
    expect((await lookup("location")).status).toBe(404);

    await stack.startService("location");
    const [back] = await stack.runSchedules("location");
    expect(back?.outcome).toMatchObject({ ok: true, payload: { action: "registered", status: "healthy" } });
    expect((await lookup("location")).body).toStrictEqual({
      endpoint_url: stack.endpoints.location,
      ttl: 2,
      status: "healthy",
    });
  });
});
