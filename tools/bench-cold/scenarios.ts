import { ScryptPasswordHasher } from "../../src/auth/domain/password-hasher";
import { signingKeyFrom } from "../../src/auth/domain/signing-key";
import { createTokenIssuer } from "../../src/auth/domain/tokens";
import { RESPONSE_URL_PATH, type StubData } from "./aws-stub";

/**
 * What each function is given for its one measured invocation, and the
 * baseline it is held against: a bare handler (tools/bench-cold/baselines)
 * making the same AWS calls on its main path. Every scenario takes the
 * success path, and the benchmark checks that it did.
 */
export interface Scenario {
  baseline: string;
  /** The event, given the stub's URL and the function's environment. */
  event: (stubUrl: string, environment: Record<string, string>) => unknown;
  /** True when the function's answer is the success the scenario is about. */
  succeeded: (result: unknown) => boolean;
}

const PASSWORD = "correct horse battery staple";
const SECRET = "bench-signing-secret-0123456789-abcdefghijklmnop";
const NOW = new Date().toISOString();

export async function stubData(): Promise<StubData> {
  const passwordHash = await new ScryptPasswordHasher().hash(PASSWORD);
  return {
    secret: SECRET,
    parameter: JSON.stringify({ maxAttempts: 5, windowSeconds: 900 }),
    location: { userId: "bench", latitude: 52.37403, longitude: 4.88969, updatedAt: NOW },
    items: {
      "bench-UsersTable": [
        { pk: "USER#bench_user", userId: "bench", username: "bench_user", passwordHash, createdAt: NOW },
      ],
      "bench-ProfilesTable": [
        { userId: "bench", displayName: "Bench", bio: null, version: 1, updatedAt: NOW },
      ],
      "bench-LocationsTable": [{ userId: "bench", latitude: 52.37403, longitude: 4.88969, updatedAt: NOW }],
      "bench-ServicesTable": [
        {
          name: "location",
          version: "v1",
          endpoint_url: "https://example.com/dev",
          ttl: 300,
          status: "healthy",
          updated_at: NOW,
          expires_at: Math.floor(Date.now() / 1000) + 3600,
        },
      ],
    },
  };
}

/**
 * The one token the authorizer's scenario carries is issued before the first
 * run; a day's lifetime outlasts any bench, even under valgrind on a loaded
 * machine (with 900 s, long runs ended in "token expired").
 */
const BENCH_TOKEN_TTL_SECONDS = 86_400;

/** Values for the template's references (`!Ref X`, `${X}`); anything unnamed becomes `bench-X`. */
export const REFERENCES: Record<string, string> = {
  Environment: "dev",
  LogLevel: "INFO",
  TokenTtlSeconds: String(BENCH_TOKEN_TTL_SECONDS),
  LockoutPolicyCacheSeconds: "60",
  TokenSigningKeyCacheSeconds: "300",
  RegistrationExpirySeconds: "900",
  RegistrationTtlSeconds: "300",
  LocationTimeoutMs: "10000",
  LocationDiscovery: "catalog",
};

/** Variables pointed at the stub whatever the template says (they name APIs the functions call). */
export function stubVariables(stubUrl: string): Record<string, string> {
  return { CATALOG_API_URL: `${stubUrl}/dev`, LOCATION_API_URL: `${stubUrl}/dev` };
}

function proxyEvent(
  method: string,
  resource: string,
  pathParameters: Record<string, string>,
  options: { body?: unknown; principal?: string; callerArn?: string } = {},
) {
  const path = Object.entries(pathParameters).reduce((at, [k, v]) => at.replace(`{${k}}`, v), resource);
  return {
    httpMethod: method,
    resource,
    path,
    pathParameters,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    headers: { "Content-Type": "application/json" },
    multiValueHeaders: {},
    isBase64Encoded: false,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    requestContext: {
      requestId: "bench-request",
      resourcePath: resource,
      httpMethod: method,
      stage: "dev",
      identity: { userArn: options.callerArn ?? null },
      authorizer:
        options.principal === undefined
          ? undefined
          : { principalId: options.principal, userId: options.principal, username: "bench_user" },
    },
  };
}

const status = (expected: number) => (result: unknown) =>
  (result as { statusCode?: number } | undefined)?.statusCode === expected;

const REGISTRAR_ARN = "arn:aws:sts::123456789012:assumed-role/registrar-role/meridian-dev-auth-registrar";

async function benchToken(): Promise<string> {
  const key = signingKeyFrom(new TextEncoder().encode(SECRET));
  const issuer = createTokenIssuer({
    keys: { signingKeys: async () => ({ current: key }) },
    ttlSeconds: BENCH_TOKEN_TTL_SECONDS,
  });
  return (await issuer.issue({ userId: "bench", username: "bench_user" })).token;
}

const registrar: Scenario = {
  baseline: "registrar",
  event: () => ({ "detail-type": "Scheduled Event", source: "aws.events", detail: {} }),
  succeeded: (result) => (result as { status?: string } | undefined)?.status === "healthy",
};

function authScenarios(token: string): Record<string, Scenario> {
  return {
    RegisterFunction: {
      baseline: "register-user",
      event: () => proxyEvent("POST", "/users", {}, { body: { username: "new_user", password: PASSWORD } }),
      succeeded: status(201),
    },
    LoginFunction: {
      baseline: "login",
      event: () =>
        proxyEvent("POST", "/tokens", {}, { body: { username: "bench_user", password: PASSWORD } }),
      succeeded: status(201),
    },
    AuthorizerFunction: {
      baseline: "authorizer",
      event: () => ({
        type: "TOKEN",
        authorizationToken: `Bearer ${token}`,
        methodArn: "arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/profiles/bench",
      }),
      succeeded: (result) => (result as { principalId?: string } | undefined)?.principalId === "bench",
    },
  };
}

const registration = {
  service_name: "auth",
  service_version: "v1",
  endpoint_url: "https://example.com/dev",
  ttl: 300,
  status: "healthy",
};

function catalogScenarios(): Record<string, Scenario> {
  return {
    GetServiceFunction: {
      baseline: "get-item",
      // A non-proxy integration: the request template's {service_name, service_version}, the body as the result.
      event: () => ({ service_name: "location", service_version: "v1" }),
      succeeded: (result) => (result as { status?: string } | undefined)?.status === "healthy",
    },
    RegisterServiceFunction: {
      baseline: "put-item",
      event: () =>
        proxyEvent("POST", "/catalog/register", {}, { callerArn: REGISTRAR_ARN, body: registration }),
      succeeded: status(201),
    },
    DeregisterServiceFunction: {
      baseline: "delete-item",
      event: () =>
        proxyEvent(
          "POST",
          "/catalog/deregister",
          {},
          { callerArn: REGISTRAR_ARN, body: { service_name: "auth", service_version: "v1" } },
        ),
      succeeded: status(200),
    },
  };
}

function locationAndProfileScenarios(): Record<string, Scenario> {
  const owner = { principal: "bench" };
  return {
    PutLocationFunction: {
      baseline: "put-item",
      event: () =>
        proxyEvent(
          "PUT",
          "/locations/{userId}",
          { userId: "bench" },
          { ...owner, body: { latitude: 52.37, longitude: 4.89 } },
        ),
      succeeded: status(200),
    },
    GetLocationFunction: {
      baseline: "get-item",
      event: () => proxyEvent("GET", "/locations/{userId}", { userId: "bench" }),
      succeeded: status(200),
    },
    PutProfileFunction: {
      baseline: "put-item",
      event: () =>
        proxyEvent(
          "PUT",
          "/profiles/{userId}",
          { userId: "bench" },
          { ...owner, body: { displayName: "Bench", bio: "cold" } },
        ),
      succeeded: status(200),
    },
    GetProfileFunction: {
      baseline: "get-profile",
      event: () => proxyEvent("GET", "/profiles/{userId}", { userId: "bench" }),
      succeeded: (result) =>
        status(200)(result) &&
        (JSON.parse((result as { body: string }).body) as { location: unknown }).location !== null,
    },
  };
}

/**
 * The hook of whichever service: its deployment's target is the service's
 * scheduled function (its registrar, in every service's SMOKE_REQUESTS),
 * which the stub's Invoke answer passes, named by the deployment id the stub
 * echoes back.
 */
const preTrafficHook: Scenario = {
  baseline: "pretraffic",
  event: (_stubUrl, environment) => ({
    DeploymentId: Object.entries(
      JSON.parse(environment.SMOKE_REQUESTS ?? "{}") as Record<string, string>,
    ).find(([, kind]) => kind === "schedule")?.[0],
    LifecycleEventHookExecutionId: "bench-execution",
  }),
  succeeded: (result) => (result as { healthy?: boolean } | undefined)?.healthy === true,
};

/** web's custom resource, as CloudFormation sends it on stack create; the stub checks its SUCCESS. */
const siteDeployer: Scenario = {
  baseline: "publish-site",
  event: (stubUrl) => ({
    RequestType: "Create",
    ServiceToken: "arn:aws:lambda:us-east-1:123456789012:function:bench",
    ResponseURL: `${stubUrl}${RESPONSE_URL_PATH}`,
    StackId: "arn:aws:cloudformation:us-east-1:123456789012:stack/bench/1",
    RequestId: "bench-request",
    LogicalResourceId: "SiteContent",
    ResourceType: "Custom::SiteContent",
    ResourceProperties: {
      ServiceToken: "arn:aws:lambda:us-east-1:123456789012:function:bench",
      BucketName: "bench-site-bucket",
      DistributionId: "EBENCH",
    },
  }),
  succeeded: (result) => result === undefined,
};

/** Every function's scenario, by logical id (one id names the same code in every service). */
export async function scenarios(): Promise<Record<string, Scenario>> {
  return {
    ...authScenarios(await benchToken()),
    ...catalogScenarios(),
    ...locationAndProfileScenarios(),
    RegistrarFunction: registrar,
    PreTrafficHookFunction: preTrafficHook,
    SiteDeployerFunction: siteDeployer,
  };
}
