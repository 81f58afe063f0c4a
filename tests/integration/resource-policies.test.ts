import { randomUUID } from "node:crypto";
import type { LocalFunctionInfo } from "@meridian/local-stack";
import { poll } from "../../tools/lib/cli";
import { call } from "../support/json-call";
import { releaseTestStack, sharedTestStack, signedFetch, type TestStack } from "../support/local-stack";

/*
 * The APIs' resource policies, enforced by the local gateway against the
 * roles the templates give the functions: location's GET is for profile's
 * roles only, catalog registrations for registrar roles only. Requests are
 * signed with a function's own credentials to act as that function.
 */

let stack: TestStack;
let userId: string;
const json = { "content-type": "application/json" };
const PASSWORD = "correct horse battery staple";

function fn(id: string): LocalFunctionInfo {
  const found = stack.functions[id];
  if (!found) throw new Error(`no function ${id}; known: ${Object.keys(stack.functions).join(", ")}`);
  return found;
}

async function getLocationAs(credentials: LocalFunctionInfo["credentials"] | undefined): Promise<Response> {
  return signedFetch(stack, `${stack.endpoints.location}/locations/${userId}`, {}, credentials);
}

beforeAll(async () => {
  stack = await sharedTestStack();
  const username = `policy-${randomUUID().slice(0, 8)}`;
  const body = JSON.stringify({ username, password: PASSWORD });
  const registered = await call("POST", `${stack.endpoints.auth}/users`, { body, headers: json });
  const login = await call("POST", `${stack.endpoints.auth}/tokens`, { body, headers: json });
  userId = registered.body.userId;
  const bearer = { ...json, Authorization: `Bearer ${login.body.token}` };
  const put = await call("PUT", `${stack.endpoints.location}/locations/${userId}`, {
    body: JSON.stringify({ latitude: 48.858844, longitude: 2.294351 }),
    headers: bearer,
  });
  expect(put.status).toBe(200);
  const profile = await call("PUT", `${stack.endpoints.profile}/profiles/${userId}`, {
    body: JSON.stringify({ displayName: "Policy" }),
    headers: bearer,
  });
  expect(profile.status).toBe(200);
}, 120_000);

afterAll(() => releaseTestStack(stack));

afterAll(async () => {});

describe("each function runs as its template's role, with credentials of its own", () => {
  test("role ARNs follow RolePath; keys differ per function and from the operator's", () => {
    expect(fn("profile/GetProfileFunction").roleArn).toBe(
      "arn:aws:iam::000000000000:role/meridian/local/profile/location-reader/meridian-local-profile-GetProfileFunctionRole",
    );
    expect(fn("profile/PutProfileFunction").roleArn).toBe(
      "arn:aws:iam::000000000000:role/meridian/local/profile/meridian-local-profile-PutProfileFunctionRole",
    );
    expect(fn("location/RegistrarFunction").roleArn).toBe(
      "arn:aws:iam::000000000000:role/meridian/local/registrar/meridian-local-location-Registrar-RegistrarFunctionRole",
    );
    const keys = Object.values(stack.functions).map((info) => info.credentials.accessKeyId);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).not.toContain(stack.credentials.accessKeyId);
    for (const key of keys) expect(key).toMatch(/^ASIA[A-Z0-9]{16}$/);
  });
});

describe("location's GET is for profile's GetProfile role only", () => {
  test("profile's GET /profiles/{id} still reads the location through its own role", async () => {
    // A first read may degrade if GetLocation's cold start outlasts the lookup deadline; a denial never passes.
    const read = await poll("profile to read the location", async () => {
      const reply = await call("GET", `${stack.endpoints.profile}/profiles/${userId}`);
      const denied = stack.logs.some((entry) => entry.message.includes(`/locations/${userId} -> 403`));
      if (denied) throw new Error("location's resource policy refused profile's call");
      return reply.body?.locationStatus === "unavailable" ? undefined : reply;
    });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ location: { latitude: 48.86, longitude: 2.29 } });
    expect(read.body).not.toHaveProperty("locationStatus");
  });

  test("signed as profile's function: 200 with the exact position", async () => {
    const reply = await getLocationAs(fn("profile/GetProfileFunction").credentials);
    expect(reply.status).toBe(200);
    expect(await reply.json()).toMatchObject({ userId, latitude: 48.858844, longitude: 2.294351 });
  });

  test("signed as auth's Login function: 403 ACCESS_DENIED with AWS's message, in the API's error shape", async () => {
    const login = fn("auth/LoginFunction");
    const reply = await getLocationAs(login.credentials);
    expect(reply.status).toBe(403);
    expect(reply.headers.get("x-amzn-errortype")).toBe("AccessDeniedException");
    expect(await reply.json()).toEqual({
      error: {
        code: "ACCESS_DENIED",
        message: expect.stringMatching(
          new RegExp(
            `^User: arn:aws:sts::000000000000:assumed-role/meridian-local-auth-LoginFunctionRole/${login.functionName} ` +
              `is not authorized to perform: execute-api:Invoke on resource: ` +
              `arn:aws:execute-api:us-east-1:\\*{8}0000:[a-z0-9]{10}/local/GET/locations/${userId} with an explicit deny$`,
          ),
        ),
      },
    });
  });

  test("signed as profile's PutProfile function (profile's, but no reader of positions): 403", async () => {
    const putProfile = fn("profile/PutProfileFunction");
    const reply = await getLocationAs(putProfile.credentials);
    expect(reply.status).toBe(403);
    expect(((await reply.json()) as { error: { message: string } }).error.message).toMatch(
      /assumed-role\/meridian-local-profile-PutProfileFunctionRole\/.* with an explicit deny$/,
    );
  });

  test("signed as a registrar (another path): 403 as well", async () => {
    expect((await getLocationAs(fn("location/RegistrarFunction").credentials)).status).toBe(403);
  });

  test("signed with the operator's credentials: passes, as before", async () => {
    const reply = await getLocationAs(undefined);
    expect(reply.status).toBe(200);
  });

  test("a function's key without its session token is not accepted", async () => {
    const { sessionToken: _token, ...withoutToken } = fn("profile/GetProfileFunction").credentials;
    const reply = await signedFetch(
      stack,
      `${stack.endpoints.location}/locations/${userId}`,
      {},
      withoutToken,
    );
    expect(reply.status).toBe(403);
    expect(((await reply.json()) as { error: { code: string } }).error.code).toBe("INVALID_SIGNATURE");
  });

  test("the token-authorized PUT is untouched by the Deny (the Allow covers it)", async () => {
    const reply = await call("PUT", `${stack.endpoints.location}/locations/${userId}`, {
      body: "{}",
      headers: { ...json, Authorization: "Bearer not-a-token" },
    });
    // The authorizer, not the resource policy, answers.
    expect(reply.status).toBe(401);
  });
});

describe("catalog registrations are for registrar roles only", () => {
  const registration = () =>
    JSON.stringify({
      service_name: "auth",
      service_version: `policy-${randomUUID().slice(0, 8)}`,
      endpoint_url: "https://example.com",
      ttl: 60,
      status: "healthy",
    });
  const register = (credentials?: LocalFunctionInfo["credentials"]) =>
    signedFetch(
      stack,
      `${stack.endpoints.catalog}/catalog/register`,
      { method: "POST", body: registration(), headers: json },
      credentials,
    );

  test("every registrar registers its service (their catalog POSTs pass)", async () => {
    const runs = await stack.runSchedules();
    expect(runs.length).toBeGreaterThanOrEqual(4);
    const failed = runs.filter((run) => !run.outcome.ok).map((run) => run.functionId);
    expect(failed).toEqual([]);
    for (const service of ["auth", "catalog", "location", "profile"]) {
      const found = await call("GET", `${stack.endpoints.catalog}/catalog/${service}/v1`);
      expect({ service, status: found.status, health: found.body?.status }).toEqual({
        service,
        status: 200,
        health: "healthy",
      });
    }
  });

  test("auth's registrar: 201; profile's key: 403 from the policy; the operator's: past it, refused by the catalog", async () => {
    expect((await register(fn("auth/RegistrarFunction").credentials)).status).toBe(201);
    const denied = await register(fn("profile/GetProfileFunction").credentials);
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { message: string } }).error.message).toMatch(
      /assumed-role\/meridian-local-profile-GetProfileFunctionRole\/.* with an explicit deny$/,
    );
    // Exempt from the resource policy locally, but the catalog binds each registration to its registrar.
    const operator = await register();
    expect(operator.status).toBe(403);
    expect(((await operator.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
  });
});
