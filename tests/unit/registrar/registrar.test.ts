import {
  APIGatewayClient,
  GetRestApiCommand,
  GetStageCommand,
  NotFoundException,
} from "@aws-sdk/client-api-gateway";
import {
  GetFunctionCommand,
  LambdaClient,
  ResourceNotFoundException,
  TooManyRequestsException,
} from "@aws-sdk/client-lambda";
import type { Context, ScheduledEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { AwsPartsInspector } from "../../../src/registrar/adapters/aws-parts-inspector";
import type { CatalogRegistry, Part, PartState, Registration } from "../../../src/registrar/domain/ports";
import { createRegistrar, decide, type Outcome, sameOutcome } from "../../../src/registrar/domain/registrar";
import { createRegistrarHandler } from "../../../src/registrar/handler";
import {
  createRegistrarFromConfig,
  partsFrom,
  type RegistrarOverrides,
  registrarEnvironment,
} from "../../../src/registrar/wiring";
import { loadConfig } from "../../../src/shared/config";
import type { HttpAnswer, HttpRequestInit } from "../../../src/shared/http-request";
import type { SignedHttpClient } from "../../../src/shared/signed-http";
import { captureOutput, testObservability } from "../../support/handler-test";

const lambda = mockClient(LambdaClient);

/** The wiring from the variables a registrar's template sets, validated as on its first invocation. */
const build = (env: Record<string, string | undefined>, overrides?: RegistrarOverrides) =>
  createRegistrarFromConfig(loadConfig(registrarEnvironment, env), overrides);
const apiGateway = mockClient(APIGatewayClient);

const FUNCTIONS = ["svc-get", "svc-put"];
const API_ID = "abc123";
const STAGE = "dev";

/** Records what the registrar asked the catalog to do. */
class FakeRegistry implements CatalogRegistry {
  readonly calls: Array<{ op: "register"; registration: Registration } | { op: "deregister"; key: string }> =
    [];
  async register(registration: Registration): Promise<void> {
    this.calls.push({ op: "register", registration });
  }
  async deregister(serviceName: string, serviceVersion: string): Promise<void> {
    this.calls.push({ op: "deregister", key: `${serviceName}/${serviceVersion}` });
  }
}

function notFoundLambda(): ResourceNotFoundException {
  return new ResourceNotFoundException({ message: "Function not found", $metadata: {} });
}

function notFoundApi(): NotFoundException {
  return new NotFoundException({ message: "Invalid API identifier specified", $metadata: {} });
}

function givenParts(present: { functions: string[]; api: boolean; stage?: boolean }): void {
  lambda.on(GetFunctionCommand).callsFake((input: { FunctionName?: string }) => {
    if (input.FunctionName && present.functions.includes(input.FunctionName)) {
      return { Configuration: { FunctionName: input.FunctionName, State: "Active" } };
    }
    throw notFoundLambda();
  });
  if (present.api) apiGateway.on(GetRestApiCommand, { restApiId: API_ID }).resolves({ id: API_ID });
  else apiGateway.on(GetRestApiCommand).rejects(notFoundApi());
  if (present.api && present.stage !== false) {
    apiGateway
      .on(GetStageCommand, { restApiId: API_ID, stageName: STAGE })
      .resolves({ stageName: STAGE, deploymentId: "dep1" });
  } else {
    apiGateway
      .on(GetStageCommand)
      .rejects(new NotFoundException({ message: "Invalid stage identifier specified", $metadata: {} }));
  }
}

function registrarWith(registry: CatalogRegistry) {
  return createRegistrar({
    config: {
      serviceName: "location",
      serviceVersion: "v1",
      endpointUrl: "https://abc123.execute-api.us-east-1.amazonaws.com/dev",
      ttlSeconds: 300,
      parts: partsFrom(FUNCTIONS.join(","), API_ID, STAGE),
    },
    inspector: new AwsPartsInspector(new LambdaClient({}), new APIGatewayClient({})),
    registry,
  });
}

beforeEach(() => {
  lambda.reset();
  apiGateway.reset();
});

afterAll(() => {
  lambda.restore();
  apiGateway.restore();
});

describe("registrar outcomes", () => {
  test("all parts present: registers healthy", async () => {
    givenParts({ functions: FUNCTIONS, api: true });
    const registry = new FakeRegistry();
    const outcome = await registrarWith(registry).run();
    expect(outcome).toMatchObject({ action: "registered", status: "healthy" });
    expect(registry.calls).toEqual([
      {
        op: "register",
        registration: {
          service_name: "location",
          service_version: "v1",
          endpoint_url: "https://abc123.execute-api.us-east-1.amazonaws.com/dev",
          ttl: 300,
          status: "healthy",
        },
      },
    ]);
    expect(lambda.commandCalls(GetFunctionCommand).map((call) => call.args[0].input.FunctionName)).toEqual(
      FUNCTIONS,
    );
    expect(apiGateway.commandCalls(GetRestApiCommand)[0]?.args[0].input).toEqual({ restApiId: API_ID });
    expect(apiGateway.commandCalls(GetStageCommand)[0]?.args[0].input).toEqual({
      restApiId: API_ID,
      stageName: STAGE,
    });
  });

  test("the API without its stage: broken, so unhealthy but still registered", async () => {
    givenParts({ functions: FUNCTIONS, api: true, stage: false });
    const registry = new FakeRegistry();
    const outcome = await registrarWith(registry).run();
    expect(outcome).toMatchObject({ action: "registered", status: "unhealthy" });
    expect(outcome.parts).toContainEqual({ part: "rest-api:abc123/dev", state: "broken" });
  });

  test("a function missing: registers unhealthy and reports which part", async () => {
    givenParts({ functions: ["svc-get"], api: true });
    const registry = new FakeRegistry();
    const outcome = await registrarWith(registry).run();
    expect(outcome).toEqual({
      action: "registered",
      status: "unhealthy",
      parts: [
        { part: "function:svc-get", state: "present" },
        { part: "function:svc-put", state: "missing" },
        { part: "rest-api:abc123/dev", state: "present" },
      ],
    });
    expect(registry.calls).toEqual([
      { op: "register", registration: expect.objectContaining({ status: "unhealthy" }) },
    ]);
  });

  test("the API missing but functions present: registers unhealthy", async () => {
    givenParts({ functions: FUNCTIONS, api: false });
    const registry = new FakeRegistry();
    expect(await registrarWith(registry).run()).toMatchObject({ action: "registered", status: "unhealthy" });
  });

  test("a function in the Failed state counts as broken: unhealthy, not gone", async () => {
    lambda.on(GetFunctionCommand).resolves({ Configuration: { State: "Failed" } });
    apiGateway.on(GetRestApiCommand).rejects(notFoundApi());
    const registry = new FakeRegistry();
    expect(await registrarWith(registry).run()).toMatchObject({ action: "registered", status: "unhealthy" });
  });

  test("every part gone: deregisters", async () => {
    givenParts({ functions: [], api: false });
    const registry = new FakeRegistry();
    expect(await registrarWith(registry).run()).toMatchObject({ action: "deregistered" });
    expect(registry.calls).toEqual([{ op: "deregister", key: "location/v1" }]);
  });

  test("an inspection error other than not-found changes nothing and fails the run", async () => {
    lambda
      .on(GetFunctionCommand)
      .rejects(new TooManyRequestsException({ message: "Rate exceeded", $metadata: {} }));
    apiGateway.on(GetRestApiCommand).rejects(notFoundApi());
    const registry = new FakeRegistry();
    await expect(registrarWith(registry).run()).rejects.toThrow("Rate exceeded");
    expect(registry.calls).toEqual([]);
  });

  test("access denied is not mistaken for missing", async () => {
    const denied = Object.assign(new Error("not authorized to perform: apigateway:GET"), {
      name: "AccessDeniedException",
    });
    givenParts({ functions: FUNCTIONS, api: true });
    apiGateway.on(GetRestApiCommand).rejects(denied);
    const registry = new FakeRegistry();
    await expect(registrarWith(registry).run()).rejects.toThrow("not authorized");
    expect(registry.calls).toEqual([]);
  });
});

describe("decide", () => {
  test.each<[PartState[], ReturnType<typeof decide>]>([
    [["present", "present"], { action: "register", status: "healthy" }],
    [["present", "missing"], { action: "register", status: "unhealthy" }],
    [["broken", "missing"], { action: "register", status: "unhealthy" }],
    [["missing", "missing"], { action: "deregister" }],
  ])("%j -> %j", (states, expected) => {
    expect(decide(states)).toEqual(expected);
  });

  test("a registrar with nothing to check is refused rather than deregistering every run", () => {
    expect(() =>
      createRegistrar({
        config: {
          serviceName: "x",
          serviceVersion: "v1",
          endpointUrl: "https://x",
          ttlSeconds: 1,
          parts: [],
        },
        inspector: { inspect: async () => "present" },
        registry: new FakeRegistry(),
      }),
    ).toThrow("at least one part");
  });
});

describe("registrar wiring", () => {
  const env = {
    SERVICE_NAME: "location",
    SERVICE_VERSION: "v1",
    FUNCTION_NAMES: " svc-get, svc-put ,",
    REST_API_ID: API_ID,
    REST_API_STAGE: STAGE,
    API_URL: "https://abc123.execute-api.us-east-1.amazonaws.com/dev",
    CATALOG_API_URL: "https://cat456.execute-api.us-east-1.amazonaws.com/dev/",
    REGISTRATION_TTL_SECONDS: "300",
    AWS_REGION: "us-east-1",
  };

  function fakeHttp(status: number) {
    const requests: Array<{ method: string; url: string; body: unknown }> = [];
    const http: SignedHttpClient = {
      async request(method, url, options) {
        requests.push({ method, url, body: options?.body });
        return { status, body: {} };
      },
    };
    return { http, requests };
  }

  test("parts come from FUNCTION_NAMES (trimmed, blanks dropped), REST_API_ID and REST_API_STAGE", () => {
    expect(partsFrom(" a ,b,,", " id ", " dev ")).toEqual<Part[]>([
      { kind: "function", name: "a" },
      { kind: "function", name: "b" },
      { kind: "rest-api", id: "id", stage: "dev" },
    ]);
    expect(partsFrom("a", undefined, undefined)).toEqual<Part[]>([{ kind: "function", name: "a" }]);
  });

  test("an API without its stage is a configuration error at cold start", () => {
    const { REST_API_STAGE: _stage, ...withoutStage } = env;
    expect(() => build(withoutStage)).toThrow(
      "Invalid configuration: REST_API_STAGE is required with REST_API_ID",
    );
  });

  test("registers through POST /catalog/register with the configured ttl", async () => {
    givenParts({ functions: FUNCTIONS, api: true });
    const { http, requests } = fakeHttp(201);
    await build(env, { http }).run();
    expect(requests).toEqual([
      {
        method: "POST",
        url: "https://cat456.execute-api.us-east-1.amazonaws.com/dev/catalog/register",
        body: {
          service_name: "location",
          service_version: "v1",
          endpoint_url: env.API_URL,
          ttl: 300,
          status: "healthy",
        },
      },
    ]);
  });

  test("deregisters through POST /catalog/deregister", async () => {
    givenParts({ functions: [], api: false });
    const { http, requests } = fakeHttp(200);
    await build({ ...env, REGISTRATION_TTL_SECONDS: "60" }, { http }).run();
    expect(requests).toEqual([
      {
        method: "POST",
        url: "https://cat456.execute-api.us-east-1.amazonaws.com/dev/catalog/deregister",
        body: { service_name: "location", service_version: "v1" },
      },
    ]);
  });

  test("a catalog refusal fails the run with the catalog's reason", async () => {
    givenParts({ functions: FUNCTIONS, api: true });
    const { http } = fakeHttp(403);
    await expect(build(env, { http }).run()).rejects.toThrow("POST /catalog/register answered 403");
  });

  test.each([
    ["SERVICE_NAME", { SERVICE_NAME: "Bad Name" }],
    ["API_URL", { API_URL: "not a url" }],
    ["REGISTRATION_TTL_SECONDS", { REGISTRATION_TTL_SECONDS: "0" }],
    ["CATALOG_API_URL", { CATALOG_API_URL: undefined }],
  ])("a bad or missing %s fails at load", (name, change) => {
    expect(() => build({ ...env, ...change }, fakeHttp(201))).toThrow(name);
  });

  test("REGISTRATION_TTL_SECONDS has no code default: every registrar's template sets it", () => {
    const { REGISTRATION_TTL_SECONDS: _, ...withoutTtl } = env;
    expect(() => build(withoutTtl, fakeHttp(201))).toThrow("REGISTRATION_TTL_SECONDS");
  });
});

describe("registrar handler", () => {
  captureOutput();
  const fetchSpy = jest.fn<Promise<HttpAnswer>, [string, HttpRequestInit]>();

  test("signs the catalog call with SigV4 for execute-api and returns the outcome", async () => {
    const env = {
      SERVICE_NAME: "location",
      SERVICE_VERSION: "v1",
      FUNCTION_NAMES: FUNCTIONS.join(","),
      REST_API_ID: API_ID,
      REST_API_STAGE: STAGE,
      API_URL: "https://abc123.execute-api.us-east-1.amazonaws.com/dev",
      CATALOG_API_URL: "https://cat456.execute-api.us-east-1.amazonaws.com/dev",
      REGISTRATION_TTL_SECONDS: "300",
      AWS_REGION: "us-east-1",
    };
    const credentials = async () => ({
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    });
    givenParts({ functions: ["svc-get"], api: true });
    fetchSpy.mockResolvedValue({ status: 201, text: async () => "{}" });
    const handler = createRegistrarHandler({
      registrar: build(env, {
        fetch: fetchSpy,
        credentials,
        inspector: new AwsPartsInspector(new LambdaClient({}), new APIGatewayClient({})),
      }),
      ...testObservability("location"),
    });

    const outcome = await handler({} as ScheduledEvent, { functionName: "registrar" } as Context);

    expect(outcome).toMatchObject({ action: "registered", status: "unhealthy" });
    const [url, init] = fetchSpy.mock.calls[0] ?? [];
    expect(String(url)).toBe("https://cat456.execute-api.us-east-1.amazonaws.com/dev/catalog/register");
    const headers = (init?.headers ?? {}) as Record<string, string>;
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/execute-api\/aws4_request/,
    );
    expect(JSON.parse(String(init?.body))).toMatchObject({ service_name: "location", status: "unhealthy" });
  });
});

describe("sameOutcome: a run that confirms the last one logs at DEBUG", () => {
  const parts = [{ part: "function:svc-get", state: "present" as const }];
  const healthy = { action: "registered" as const, status: "healthy" as const, parts };
  test.each([
    ["the first run", undefined, healthy, false],
    ["the same again", healthy, { ...healthy, parts: [...parts] }, true],
    ["healthy to unhealthy", healthy, { ...healthy, status: "unhealthy" as const }, false],
    [
      "a part's state changed",
      healthy,
      { ...healthy, parts: [{ ...parts[0], state: "broken" as const }] },
      false,
    ],
    ["registered to deregistered", healthy, { action: "deregistered" as const, parts }, false],
  ])("%s", (_name, previous, current, same) => {
    expect(sameOutcome(previous as Outcome | undefined, current as Outcome)).toBe(same);
  });
});
