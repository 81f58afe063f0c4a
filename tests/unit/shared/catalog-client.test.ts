import {
  CatalogUnavailableError,
  createCatalogClient,
  endpointUrlSchema,
  resolveEndpoint,
  ServiceNotFoundError,
  ServiceUnhealthyError,
} from "../../../src/shared/catalog-client";
import { DependencyError } from "../../../src/shared/errors";

const CATALOG = "https://cat456.execute-api.us-east-1.amazonaws.com/dev";
const LOCATION_V1 = "https://loc111.execute-api.us-east-1.amazonaws.com/dev";
const LOCATION_V2 = "https://loc222.execute-api.us-east-1.amazonaws.com/dev";

type Reply = { status: number; body: unknown } | "network-error" | "hang";

/** A catalog that answers from a script the test changes as time passes. */
function fakeCatalog() {
  let reply: Reply = { status: 404, body: { error_message: "Service Not Found" } };
  const urls: string[] = [];
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    urls.push(String(input));
    if (reply === "network-error") throw new TypeError("fetch failed");
    if (reply === "hang") {
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      });
    }
    const body = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
    return new Response(body, { status: reply.status, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  return {
    fetch: fakeFetch,
    urls,
    answer(next: Reply) {
      reply = next;
    },
    healthy(url: string, ttl: number) {
      reply = { status: 200, body: { endpoint_url: url, ttl, status: "healthy" } };
    },
    unhealthy(url: string, ttl: number) {
      reply = { status: 200, body: { endpoint_url: url, ttl, status: "unhealthy" } };
    },
  };
}

function setup(options: { maxStaleSeconds?: number; retryAfterFailureSeconds?: number } = {}) {
  const catalog = fakeCatalog();
  let time = 1_700_000_000_000;
  const clock = {
    advance(seconds: number) {
      time += seconds * 1000;
    },
  };
  const client = createCatalogClient({
    catalogUrl: `${CATALOG}/`,
    fetch: catalog.fetch,
    now: () => time,
    timeoutMs: 50,
    maxStaleSeconds: options.maxStaleSeconds ?? 600,
    retryAfterFailureSeconds: options.retryAfterFailureSeconds ?? 0,
  });
  return { catalog, clock, client };
}

describe("catalog client", () => {
  test("looks up GET /catalog/{name}/{version} and caches the answer for its ttl", async () => {
    const { catalog, clock, client } = setup();
    catalog.healthy(LOCATION_V1, 60);
    expect(await client.lookup("location", "v1")).toBe(LOCATION_V1);
    expect(catalog.urls).toEqual([`${CATALOG}/catalog/location/v1`]);

    catalog.healthy(LOCATION_V2, 60);
    clock.advance(59);
    expect(await client.lookup("location", "v1")).toBe(LOCATION_V1);
    expect(catalog.urls).toHaveLength(1);

    clock.advance(1);
    expect(await client.lookup("location", "v1")).toBe(LOCATION_V2);
    expect(catalog.urls).toHaveLength(2);
  });

  test("caches each name and version separately and encodes them in the path", async () => {
    const { catalog, client } = setup();
    catalog.healthy(LOCATION_V1, 60);
    await client.lookup("location", "v1");
    await client.lookup("location", "1.0.0-rc_1");
    expect(catalog.urls).toEqual([
      `${CATALOG}/catalog/location/v1`,
      `${CATALOG}/catalog/location/1.0.0-rc_1`,
    ]);
  });

  test("concurrent lookups share one request", async () => {
    const { catalog, client } = setup();
    catalog.healthy(LOCATION_V1, 60);
    const results = await Promise.all([client.lookup("location", "v1"), client.lookup("location", "v1")]);
    expect(results).toEqual([LOCATION_V1, LOCATION_V1]);
    expect(catalog.urls).toHaveLength(1);
  });

  test("404 is a typed not-found error (a DependencyError), remembered briefly", async () => {
    const { catalog, clock, client } = setup();
    const error = await client.lookup("nothing", "v1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceNotFoundError);
    expect(error).toBeInstanceOf(DependencyError);
    await expect(client.lookup("nothing", "v1")).rejects.toBeInstanceOf(ServiceNotFoundError);
    expect(catalog.urls).toHaveLength(1);
    clock.advance(30);
    catalog.healthy(LOCATION_V1, 60);
    expect(await client.lookup("nothing", "v1")).toBe(LOCATION_V1);
  });

  test("an unhealthy registration is refused", async () => {
    const { catalog, client } = setup();
    catalog.unhealthy(LOCATION_V1, 60);
    await expect(client.lookup("location", "v1")).rejects.toBeInstanceOf(ServiceUnhealthyError);
  });

  test("once the catalog says unhealthy, the older healthy answer is not served, even during an outage", async () => {
    const { catalog, clock, client } = setup();
    catalog.healthy(LOCATION_V1, 60);
    await client.lookup("location", "v1");
    clock.advance(60);
    catalog.unhealthy(LOCATION_V1, 60);
    await expect(client.lookup("location", "v1")).rejects.toBeInstanceOf(ServiceUnhealthyError);
    clock.advance(60);
    catalog.answer("network-error");
    await expect(client.lookup("location", "v1")).rejects.toBeInstanceOf(ServiceUnhealthyError);
  });

  test("a deregistered service is not served from the cache once the catalog says 404", async () => {
    const { catalog, clock, client } = setup();
    catalog.healthy(LOCATION_V1, 60);
    await client.lookup("location", "v1");
    clock.advance(60);
    catalog.answer({ status: 404, body: { error_message: "Service Not Found" } });
    await expect(client.lookup("location", "v1")).rejects.toBeInstanceOf(ServiceNotFoundError);
  });

  test.each<[string, Reply]>([
    ["a network error", "network-error"],
    ["a 5xx", { status: 503, body: { error: { code: "unavailable", message: "x" } } }],
    ["a timeout", "hang"],
    ["a 404 that is not the catalog's", { status: 404, body: "<html>not found</html>" }],
    ["an unexpected body", { status: 200, body: { endpoint_url: "nope" } }],
  ])("keeps serving the last healthy endpoint past its ttl through %s", async (_, failure) => {
    const { catalog, clock, client } = setup({ maxStaleSeconds: 600 });
    catalog.healthy(LOCATION_V1, 60);
    await client.lookup("location", "v1");
    catalog.answer(failure);
    clock.advance(60 + 599);
    expect(await client.lookup("location", "v1")).toBe(LOCATION_V1);
    // A recovered catalog is asked again on the next lookup.
    catalog.healthy(LOCATION_V2, 60);
    expect(await client.lookup("location", "v1")).toBe(LOCATION_V2);
  });

  test("stops serving a stale endpoint after the max stale period", async () => {
    const { catalog, clock, client } = setup({ maxStaleSeconds: 600 });
    catalog.healthy(LOCATION_V1, 60);
    await client.lookup("location", "v1");
    catalog.answer({ status: 502, body: {} });
    clock.advance(60 + 600);
    await expect(client.lookup("location", "v1")).rejects.toBeInstanceOf(CatalogUnavailableError);
  });

  test("an unreachable catalog with nothing cached is a CatalogUnavailableError", async () => {
    const { catalog, client } = setup();
    catalog.answer("hang");
    const error = await client.lookup("location", "v1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CatalogUnavailableError);
    expect((error as Error).message).toContain("timed out");
  });

  test("after a failure, lookups skip the network for a while instead of waiting on every call", async () => {
    const { catalog, clock, client } = setup({ retryAfterFailureSeconds: 5 });
    catalog.healthy(LOCATION_V1, 60);
    await client.lookup("location", "v1");
    clock.advance(60);
    catalog.answer("network-error");
    expect(await client.lookup("location", "v1")).toBe(LOCATION_V1);
    expect(await client.lookup("location", "v1")).toBe(LOCATION_V1);
    expect(catalog.urls).toHaveLength(2);
    clock.advance(5);
    catalog.healthy(LOCATION_V2, 60);
    expect(await client.lookup("location", "v1")).toBe(LOCATION_V2);
    expect(catalog.urls).toHaveLength(3);
  });

  test("the pause after a failure applies to that service only", async () => {
    const { catalog, client } = setup({ retryAfterFailureSeconds: 5 });
    catalog.answer("network-error");
    await expect(client.lookup("location", "v1")).rejects.toBeInstanceOf(CatalogUnavailableError);
    await expect(client.lookup("location", "v1")).rejects.toBeInstanceOf(CatalogUnavailableError);
    expect(catalog.urls).toHaveLength(1);
    catalog.healthy(LOCATION_V1, 60);
    expect(await client.lookup("other", "v1")).toBe(LOCATION_V1);
    expect(catalog.urls).toHaveLength(2);
  });
});

describe("resolveEndpoint", () => {
  const fallback = "https://ssm-configured.example.com/dev";

  test("prefers the catalog", async () => {
    const { catalog, client } = setup();
    catalog.healthy(LOCATION_V1, 60);
    expect(await resolveEndpoint(client, "location", "v1", fallback)).toEqual({
      url: LOCATION_V1,
      source: "catalog",
    });
  });

  test("falls back when the service is not registered or the catalog is unreachable", async () => {
    const { catalog, client } = setup();
    expect(await resolveEndpoint(client, "location", "v1", fallback)).toEqual({
      url: fallback,
      source: "fallback",
    });
    catalog.answer("network-error");
    expect(await resolveEndpoint(client, "other", "v1", fallback)).toEqual({
      url: fallback,
      source: "fallback",
    });
  });

  test("does not fall back around an unhealthy registration", async () => {
    const { catalog, client } = setup();
    catalog.unhealthy(LOCATION_V1, 60);
    await expect(resolveEndpoint(client, "location", "v1", fallback)).rejects.toBeInstanceOf(
      ServiceUnhealthyError,
    );
  });
});

describe("endpoint_url: a base URL the catalog may hand out, nothing a client could be steered by", () => {
  test.each([
    "https://loc111.execute-api.us-east-1.amazonaws.com/dev",
    "https://loc111.execute-api.us-east-1.amazonaws.com/dev/",
    "http://127.0.0.1:4000/local",
  ])("accepts %s", (url) => {
    expect(endpointUrlSchema.safeParse(url).success).toBe(true);
  });

  test.each([
    ["a fragment", `${LOCATION_V1}/locations/victim#`],
    ["a fragment with text", `${LOCATION_V1}#x`],
    ["a query", `${LOCATION_V1}?userId=victim`],
    ["an empty query", `${LOCATION_V1}?`],
    ["user info", "https://user:pass@loc111.execute-api.us-east-1.amazonaws.com/dev"],
    ["a user name only", "https://user@loc111.execute-api.us-east-1.amazonaws.com/dev"],
    ["another scheme", "ftp://loc111.example.com/dev"],
  ])("refuses one with %s", (_, url) => {
    expect(endpointUrlSchema.safeParse(url).success).toBe(false);
  });

  test("a lookup answering such a URL is not used", async () => {
    const { catalog, client } = setup();
    catalog.healthy(`${LOCATION_V1}/locations/victim#`, 60);
    await expect(client.lookup("location", "v1")).rejects.toBeInstanceOf(CatalogUnavailableError);
  });
});
