import { join } from "node:path";
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { createCatalog } from "../../../src/catalog/domain/catalog";
import type { ServiceKey, StoredServiceRecord } from "../../../src/catalog/domain/ports";
import { createDeregisterServiceHandler } from "../../../src/catalog/handlers/deregister-service";
import { createGetServiceHandler } from "../../../src/catalog/handlers/get-service";
import { createRegisterServiceHandler } from "../../../src/catalog/handlers/register-service";
import {
  createRegistrationDependenciesFromConfig,
  registrationEnvironment,
} from "../../../src/catalog/wiring";
import { judge, smokeEvent } from "../../../src/pretraffic/domain/smoke";
import { loadConfig } from "../../../src/shared/config";
import { loadTemplate } from "../../../tools/lib/cfn-yaml";
import { captureOutput, type Handler, sampleEvent, testObservability } from "../../support/handler-test";

const context = { functionName: "catalog-test", awsRequestId: "req-1" } as Context;

/** The event the lookup's request template builds (events/GetServiceFunction.json's shape). */
function getEvent(serviceName: string, version: string): unknown {
  return {
    ...(sampleEvent("GetServiceFunction") as object),
    service_name: serviceName,
    service_version: version,
  };
}

interface IntegrationResponse {
  statusCode: string;
  responseTemplates?: Record<string, string>;
}

/** The lookup's integration responses, from the template (selectionPattern -> response). */
const LOOKUP_RESPONSES = (() => {
  const api = loadTemplate(join(__dirname, "..", "..", "..", "src", "catalog", "template.yaml")).Resources
    .CatalogApi?.Properties as {
    DefinitionBody: {
      paths: Record<string, { get: Record<string, { responses: Record<string, IntegrationResponse> }> }>;
    };
  };
  const operation = api.DefinitionBody.paths["/catalog/{service_name}/{service_version}"]?.get;
  return operation?.["x-amazon-apigateway-integration"]?.responses ?? {};
})();

/**
 * The status API Gateway answers for a lookup's outcome, chosen as it does: a failed invocation's
 * errorMessage against each selectionPattern (a whole-string match), the default for a result.
 * Exactly one pattern may match an errorMessage: API Gateway does not say which of several wins.
 */
function selectResponse(errorMessage: string | undefined): IntegrationResponse {
  if (errorMessage === undefined) return LOOKUP_RESPONSES.default as IntegrationResponse;
  const matching = Object.entries(LOOKUP_RESPONSES).filter(
    ([pattern]) => pattern !== "default" && new RegExp(`^(?:${pattern})$`, "u").test(errorMessage),
  );
  expect([errorMessage, matching.length]).toEqual([errorMessage, 1]);
  return matching[0]?.[1] as IntegrationResponse;
}

function postEvent(
  name: "RegisterServiceFunction" | "DeregisterServiceFunction",
  body: unknown,
): APIGatewayProxyEvent {
  const event = sampleEvent(name);
  // The sample events register a made-up service; these tests' registrations are location's, signed by its registrar.
  const session = "AROAEXAMPLEROLEID0000:meridian-local-location-registrar";
  const userArn =
    "arn:aws:sts::123456789012:assumed-role/meridian-local-location-RegistrarFunctionRole/meridian-local-location-registrar";
  return {
    ...event,
    requestContext: {
      ...event.requestContext,
      identity: { ...event.requestContext.identity, caller: session, user: session, userArn },
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

function parse(result: APIGatewayProxyResult): unknown {
  return JSON.parse(result.body);
}

const registration = {
  service_name: "location",
  service_version: "v1",
  endpoint_url: "https://abc123.execute-api.us-east-1.amazonaws.com/dev",
  ttl: 300,
  status: "healthy",
};

const EXPIRY_SECONDS = 900;
const T0 = Date.parse("2025-01-01T00:00:00Z");
const T0_SECONDS = T0 / 1000;

describe("catalog domain", () => {
  /** Never expires records on its own, like dynalite (and DynamoDB TTL for up to two days): the domain must cope. */
  class MemoryStore {
    readonly records = new Map<string, StoredServiceRecord>();
    private key(key: ServiceKey): string {
      return `${key.service_name}/${key.service_version}`;
    }
    async get(key: ServiceKey) {
      return this.records.get(this.key(key));
    }
    async put(record: StoredServiceRecord) {
      this.records.set(this.key(record), record);
    }
    async delete(key: ServiceKey) {
      return this.records.delete(this.key(key));
    }
  }

  const key = { service_name: "location", service_version: "v1" };

  /** A catalog whose clock the test moves: `at(seconds)` sets it to T0 + seconds. */
  function catalogWithClock(store = new MemoryStore()) {
    let now = T0;
    const catalog = createCatalog({
      store,
      registrationExpirySeconds: EXPIRY_SECONDS,
      clock: () => new Date(now),
    });
    return {
      catalog,
      store,
      at(seconds: number) {
        now = T0 + seconds * 1000;
      },
    };
  }

  test("register stamps updated_at and expires_at, and lookup returns only the wire fields", async () => {
    const { catalog } = catalogWithClock();
    const record = await catalog.register({ ...registration, status: "healthy" });
    expect(record.updated_at).toBe("2025-01-01T00:00:00.000Z");
    expect(record.expires_at).toBe(T0_SECONDS + EXPIRY_SECONDS);
    expect(await catalog.lookup({ service_name: "location", service_version: "v1" })).toEqual({
      endpoint_url: registration.endpoint_url,
      ttl: 300,
      status: "healthy",
    });
    expect(await catalog.lookup({ service_name: "location", service_version: "v2" })).toBeUndefined();
  });

  test("deregister is idempotent and says whether anything was removed", async () => {
    const catalog = createCatalog({ store: new MemoryStore(), registrationExpirySeconds: EXPIRY_SECONDS });
    await catalog.register({ ...registration, status: "healthy" });
    expect(await catalog.deregister(key)).toEqual({ ...key, removed: true });
    expect(await catalog.deregister(key)).toEqual({ ...key, removed: false });
  });

  test("a registration is found until it expires, then not, though the store still holds it", async () => {
    const { catalog, store, at } = catalogWithClock();
    await catalog.register({ ...registration, status: "healthy" });
    const found = async (seconds: number): Promise<boolean> => {
      at(seconds);
      return (await catalog.lookup(key)) !== undefined;
    };
    expect(await found(0)).toBe(true);
    expect(await found(EXPIRY_SECONDS - 0.001)).toBe(true);
    expect(await found(EXPIRY_SECONDS)).toBe(false);
    expect(await found(EXPIRY_SECONDS + 86_400)).toBe(false);
    expect(store.records.size).toBe(1);
  });

  test("registering again (the registrar's next run) pushes the expiry out", async () => {
    const { catalog, at } = catalogWithClock();
    await catalog.register({ ...registration, status: "healthy" });
    at(EXPIRY_SECONDS - 1);
    const refreshed = await catalog.register({ ...registration, status: "unhealthy" });
    expect(refreshed.expires_at).toBe(T0_SECONDS + 2 * EXPIRY_SECONDS - 1);
    at(EXPIRY_SECONDS + 1);
    expect(await catalog.lookup(key)).toMatchObject({ status: "unhealthy" });
    at(2 * EXPIRY_SECONDS - 1);
    expect(await catalog.lookup(key)).toBeUndefined();
  });

  test("a registration written before expires_at existed lapses by its updated_at", async () => {
    const { catalog, store, at } = catalogWithClock();
    const { expires_at: _, ...legacy } = await catalog.register({ ...registration, status: "healthy" });
    store.records.set("location/v1", legacy);
    at(EXPIRY_SECONDS - 1);
    expect(await catalog.lookup(key)).toMatchObject({ status: "healthy" });
    at(EXPIRY_SECONDS);
    expect(await catalog.lookup(key)).toBeUndefined();

    // Hand-written with no usable date: not advertised, rather than advertised forever.
    store.records.set("location/v1", { ...legacy, updated_at: "undefined" });
    at(0);
    expect(await catalog.lookup(key)).toBeUndefined();
  });
});

// The handlers over a mocked DynamoDB whose GetItem, PutItem and DeleteItem act on `table`.
const ddb = mockClient(DynamoDBDocumentClient);
const table = new Map<string, Record<string, unknown>>();
const keyOf = (item: Record<string, unknown> | undefined) => `${String(item?.name)}#${String(item?.version)}`;
afterAll(() => ddb.restore());

let getService: (event: unknown, context: Context) => Promise<unknown>;
let registerService: Handler;
let deregisterService: Handler;

beforeAll(() => {
  const dependencies = createRegistrationDependenciesFromConfig(
    loadConfig(registrationEnvironment, {
      CATALOG_TABLE_NAME: "Services",
      REGISTRATION_EXPIRY_SECONDS: String(EXPIRY_SECONDS),
      // postEvent signs as location's registrar, as the local stack names it.
      REGISTRAR_FUNCTION_NAME: "meridian-local-{service}-registrar",
    }),
  );
  const observability = testObservability("catalog");
  getService = createGetServiceHandler({
    catalog: dependencies.catalog,
    functionVersion: "$LATEST",
    ...observability,
  });
  registerService = createRegisterServiceHandler({ ...dependencies, ...observability });
  deregisterService = createDeregisterServiceHandler({ ...dependencies, ...observability });
});

/** Fakes only the wall clock (the handlers' `new Date()`); promises and the SDK's timers run as usual. */
function setClock(epochMs: number): void {
  jest.useFakeTimers({
    now: epochMs,
    doNotFake: [
      "hrtime",
      "nextTick",
      "performance",
      "queueMicrotask",
      "setImmediate",
      "clearImmediate",
      "setInterval",
      "clearInterval",
      "setTimeout",
      "clearTimeout",
    ],
  });
}

/** A lookup as its integration answers it: the status, and the body where it is static or the result. */
async function lookup(
  serviceName: string,
  version: string,
): Promise<{ status: number; body?: string; result?: unknown; errorMessage?: string }> {
  let result: unknown;
  let errorMessage: string | undefined;
  try {
    result = await getService(getEvent(serviceName, version), context);
  } catch (error) {
    errorMessage = (error as Error).message;
  }
  const response = selectResponse(errorMessage);
  const template = response.responseTemplates?.["application/json"];
  const body =
    errorMessage === undefined ? JSON.stringify(result) : template?.includes("$") ? undefined : template;
  return {
    status: Number(response.statusCode),
    ...(body === undefined ? {} : { body }),
    ...(errorMessage === undefined ? { result } : { errorMessage }),
  };
}

/** In a describe: its logs captured, an empty table and the real clock in each of its tests. */
function useEmptyTable(): void {
  captureOutput();
  beforeEach(() => {
    table.clear();
    ddb.reset();
    ddb.on(GetCommand).callsFake((input) => ({ Item: table.get(keyOf(input.Key)) }));
    ddb.on(PutCommand).callsFake((input) => {
      table.set(keyOf(input.Item), input.Item);
      return {};
    });
    ddb.on(DeleteCommand).callsFake((input) => {
      const old = table.get(keyOf(input.Key));
      table.delete(keyOf(input.Key));
      return { Attributes: old };
    });
  });

  afterEach(() => jest.useRealTimers());
}

describe("catalog handlers: lookups (GET /catalog/{service_name}/{service_version}, a non-proxy integration)", () => {
  useEmptyTable();

  test("lookup miss fails with NotFound, which its integration answers with exactly the legacy 404 body", async () => {
    const result = await lookup("nothing-here", "v1");
    expect(result.errorMessage).toBe("NotFound: Service 'nothing-here' version 'v1' is not registered");
    expect(result.status).toBe(404);
    expect(result.body).toBe('{"error_message":"Service Not Found"}');
  });

  test("the pre-traffic hook's smoke event is refused cleanly, as its judge wants", async () => {
    let failure: unknown;
    await getService(smokeEvent("non-proxy"), context).catch((error: unknown) => {
      failure = error;
    });
    const payload = { errorMessage: (failure as Error).message };
    expect(judge("non-proxy", { functionError: "Unhandled", payload })).toMatchObject({ healthy: true });
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  test("lookup with a malformed name fails as BadRequest: its integration's 400 in the shared shape", async () => {
    const result = await lookup("Bad Name", "v1");
    expect(result.status).toBe(400);
    expect(result.errorMessage).toBe(
      "BadRequest: Path parameter 'service_name': must be 1-64 characters of a-z, 0-9, '_' or '-', starting alphanumeric",
    );
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  test.each([
    ["no version", { service_name: "location" }, "service_version"],
    ["a reserved name", { service_name: "register", service_version: "v1" }, "service_name"],
    ["a number", { service_name: 7, service_version: "v1" }, "service_name"],
    ["not an object", "location/v1", undefined],
  ])("an event with %s is a BadRequest, never a lookup", async (_what, event, field) => {
    const failure = await getService(event, context).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure?.message).toMatch(
      field === undefined
        ? /^BadRequest: The lookup needs/
        : new RegExp(`^BadRequest: Path parameter '${field}'`),
    );
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  test.each([
    ["a store failure", new Error("secret internal detail")],
    // A missing table: its name must not make the miss pattern answer 404.
    [
      "DynamoDB's ResourceNotFoundException",
      Object.assign(new Error("Requested resource not found"), { name: "ResourceNotFoundException" }),
    ],
  ])("%s is a plain 500 with no detail", async (_what, error) => {
    ddb.on(GetCommand).rejects(error);
    const result = await lookup("location", "v1");
    expect(result.errorMessage).toBe("InternalFailure");
    expect(result.status).toBe(500);
    expect(result.body).toBe('{"error":{"code":"INTERNAL_ERROR","message":"Internal server error"}}');
  });

  test("a timeout or a crash (Lambda's own errorMessage) is a 500 too, not a 200 with the error as the body", () => {
    expect.hasAssertions();
    for (const message of [
      "2025-01-01T00:00:00.000Z c6af9ac6 Task timed out after 10.00 seconds",
      "RequestId: c6af9ac6 Error: Runtime exited with error: signal: killed",
    ]) {
      expect([message, selectResponse(message).statusCode]).toEqual([message, "500"]);
    }
  });
});

describe("catalog handlers: register and deregister", () => {
  useEmptyTable();

  test("register then lookup hit answers 200 {endpoint_url, ttl, status}", async () => {
    const registered = await registerService(postEvent("RegisterServiceFunction", registration), context);
    expect(registered.statusCode).toBe(201);
    expect(parse(registered)).toEqual({
      ...registration,
      updated_at: expect.any(String),
      expires_at: expect.any(Number),
    });

    const found = await lookup("location", "v1");
    expect(found.status).toBe(200);
    expect(found.result).toEqual({ endpoint_url: registration.endpoint_url, ttl: 300, status: "healthy" });
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      TableName: "Services",
      Key: { name: "location", version: "v1" },
    });
  });

  test("register and deregister by another service's registrar: 403 JSON, nothing written", async () => {
    for (const name of ["RegisterServiceFunction", "DeregisterServiceFunction"] as const) {
      const event = postEvent(name, registration);
      const identity = {
        ...event.requestContext.identity,
        userArn:
          "arn:aws:sts::123456789012:assumed-role/meridian-local-auth-RegistrarFunctionRole/meridian-local-auth-registrar",
      };
      const body =
        name === "RegisterServiceFunction"
          ? registration
          : { service_name: "location", service_version: "v1" };
      const handler = name === "RegisterServiceFunction" ? registerService : deregisterService;
      const result = await handler(
        { ...event, body: JSON.stringify(body), requestContext: { ...event.requestContext, identity } },
        context,
      );
      expect(result.statusCode).toBe(403);
      expect(parse(result)).toEqual({
        error: { code: "FORBIDDEN", message: "Only location's own registrar may change its registration" },
      });
    }
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  test("register overwrites the same name and version, and leaves other versions alone", async () => {
    await registerService(postEvent("RegisterServiceFunction", registration), context);
    await registerService(
      postEvent("RegisterServiceFunction", { ...registration, service_version: "v2", ttl: 60 }),
      context,
    );
    const replaced = await registerService(
      postEvent("RegisterServiceFunction", {
        ...registration,
        endpoint_url: "https://new.example.com/dev",
        status: "unhealthy",
        ttl: 30,
      }),
      context,
    );
    expect(replaced.statusCode).toBe(201);
    expect(table.size).toBe(2);
    expect((await lookup("location", "v1")).result).toEqual({
      endpoint_url: "https://new.example.com/dev",
      ttl: 30,
      status: "unhealthy",
    });
    expect((await lookup("location", "v2")).result).toMatchObject({ ttl: 60 });
  });

  test.each([
    ["unknown field", { ...registration, extra: 1 }, "Unrecognized key"],
    ["missing field", { ...registration, status: undefined }, "status"],
    ["bad name", { ...registration, service_name: "Location!" }, "service_name"],
    ["reserved name", { ...registration, service_name: "register" }, "service_name"],
    ["bad version", { ...registration, service_version: "v 1" }, "service_version"],
    ["non-http url", { ...registration, endpoint_url: "ftp://example.com/" }, "endpoint_url"],
    ["not a url", { ...registration, endpoint_url: "example" }, "endpoint_url"],
    ["zero ttl", { ...registration, ttl: 0 }, "ttl"],
    ["fractional ttl", { ...registration, ttl: 1.5 }, "ttl"],
    ["ttl over a day", { ...registration, ttl: 86_401 }, "ttl"],
    ["string ttl", { ...registration, ttl: "300" }, "ttl"],
    ["unknown status", { ...registration, status: "degraded" }, "status"],
    // Only the catalog decides how long a registration counts.
    ["caller-set expiry", { ...registration, expires_at: 4_102_444_800 }, "Unrecognized key"],
  ])("register rejects %s with a 400 JSON error", async (_, body, mentions) => {
    const result = await registerService(postEvent("RegisterServiceFunction", body), context);
    expect(result.statusCode).toBe(400);
    const parsed = parse(result) as { error: { code: string; message: string } };
    expect(parsed.error.code).toBe("VALIDATION_ERROR");
    expect(parsed.error.message).toContain(mentions);
    expect(table.size).toBe(0);
  });

  test("register rejects a body that is not JSON", async () => {
    const result = await registerService(postEvent("RegisterServiceFunction", "{nope"), context);
    expect(result.statusCode).toBe(400);
    expect(parse(result)).toEqual({ error: { code: "INVALID_JSON", message: expect.any(String) } });
  });

  test("deregister answers 200 whether or not the registration existed", async () => {
    await registerService(postEvent("RegisterServiceFunction", registration), context);
    const key = { service_name: "location", service_version: "v1" };
    const first = await deregisterService(postEvent("DeregisterServiceFunction", key), context);
    expect(first.statusCode).toBe(200);
    expect(parse(first)).toEqual({ ...key, removed: true });
    expect((await lookup("location", "v1")).status).toBe(404);

    const again = await deregisterService(postEvent("DeregisterServiceFunction", key), context);
    expect(again.statusCode).toBe(200);
    expect(parse(again)).toEqual({ ...key, removed: false });
  });

  test("deregister validates its body strictly", async () => {
    const result = await deregisterService(
      postEvent("DeregisterServiceFunction", { service_name: "location", service_version: "v1", ttl: 1 }),
      context,
    );
    expect(result.statusCode).toBe(400);
  });
});

describe("catalog handlers: expiry", () => {
  useEmptyTable();

  test("a registration past its expiry answers 404 with exactly the legacy body, though still stored", async () => {
    setClock(T0);
    const registered = await registerService(postEvent("RegisterServiceFunction", registration), context);
    expect(parse(registered)).toMatchObject({ expires_at: T0_SECONDS + EXPIRY_SECONDS });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      name: "location",
      version: "v1",
      expires_at: T0_SECONDS + EXPIRY_SECONDS,
    });

    setClock(T0 + (EXPIRY_SECONDS - 1) * 1000);
    const before = await lookup("location", "v1");
    expect(before.status).toBe(200);
    expect(before.result).toEqual({ endpoint_url: registration.endpoint_url, ttl: 300, status: "healthy" });

    setClock(T0 + EXPIRY_SECONDS * 1000);
    const after = await lookup("location", "v1");
    expect(after.status).toBe(404);
    expect(after.body).toBe('{"error_message":"Service Not Found"}');
    expect(table.size).toBe(1);
  });

  test("registering again before expiry keeps the service found past the first expiry", async () => {
    setClock(T0);
    await registerService(postEvent("RegisterServiceFunction", registration), context);
    setClock(T0 + 300_000);
    const again = await registerService(postEvent("RegisterServiceFunction", registration), context);
    expect(parse(again)).toMatchObject({ expires_at: T0_SECONDS + 300 + EXPIRY_SECONDS });

    setClock(T0 + (EXPIRY_SECONDS + 1) * 1000);
    expect((await lookup("location", "v1")).status).toBe(200);
    setClock(T0 + (EXPIRY_SECONDS + 300) * 1000);
    expect((await lookup("location", "v1")).status).toBe(404);
  });

  test("an item without expires_at (written before it existed) counts from its updated_at", async () => {
    const legacy = {
      name: "location",
      version: "v1",
      endpoint_url: registration.endpoint_url,
      ttl: 300,
      status: "healthy",
      updated_at: new Date(T0).toISOString(),
    };
    table.set("location#v1", legacy);
    setClock(T0 + 60_000);
    expect((await lookup("location", "v1")).status).toBe(200);
    setClock(T0 + EXPIRY_SECONDS * 1000);
    const lapsed = await lookup("location", "v1");
    expect(lapsed.status).toBe(404);
    expect(lapsed.body).toBe('{"error_message":"Service Not Found"}');
  });
});
