import { randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { edgyDouble, seededRandom } from "../../tools/lib/doubles";
import { call } from "../support/json-call";
import { releaseTestStack, sharedTestStack, signedFetch, type TestStack } from "../support/local-stack";

/*
 * Inputs a review and a fuzzer found to answer 5xx, or to cross a trust
 * boundary, replayed against the whole local stack (dynalite refuses the
 * numbers DynamoDB refuses).
 */

let stack: TestStack;
const json = { "content-type": "application/json" };
const PASSWORD = "correct horse battery staple";

beforeAll(async () => {
  stack = await sharedTestStack();
}, 120_000);

afterAll(() => releaseTestStack(stack));

async function newUser(): Promise<{ userId: string; username: string; token: string }> {
  const username = `hard-${randomUUID().slice(0, 8)}`;
  const body = JSON.stringify({ username, password: PASSWORD });
  const registered = await call("POST", `${stack.endpoints.auth}/users`, { body, headers: json });
  expect(registered.status).toBe(201);
  const login = await call("POST", `${stack.endpoints.auth}/tokens`, { body, headers: json });
  expect(login.status).toBe(201);
  return { userId: registered.body.userId, username, token: login.body.token };
}

describe("every number a position carries is one DynamoDB can store", () => {
  let user: Awaited<ReturnType<typeof newUser>>;
  beforeAll(async () => {
    user = await newUser();
  });

  test.each([
    '{"latitude":1e-200,"longitude":0}',
    '{"latitude":0,"longitude":5e-324}',
    '{"latitude":-7e-300,"longitude":1}',
    '{"latitude":1,"longitude":2,"latitude":1e-200}',
  ])("PUT %s: 200, not a 500", async (body) => {
    const { userId, token } = user;
    const reply = await call("PUT", `${stack.endpoints.location}/locations/${userId}`, {
      body,
      headers: { ...json, Authorization: `Bearer ${token}` },
    });
    expect({ status: reply.status, body: reply.body }).toMatchObject({ status: 200, body: { userId } });
  });

  test("property: random finite doubles in range get 200 and read back exactly as answered", async () => {
    const { userId, token } = user;
    const reader = stack.functions["profile/GetProfileFunction"]?.credentials;
    const random = seededRandom(9);
    const failures: unknown[] = [];
    for (let run = 0; run < 150; run++) {
      const latitude = edgyDouble(random, 90);
      const longitude = edgyDouble(random, 180);
      // Written by hand so -0 and the exact digits JSON.stringify would print reach the server.
      const body = `{"latitude":${Object.is(latitude, -0) ? "-0" : latitude},"longitude":${Object.is(longitude, -0) ? "-0" : longitude}}`;
      const put = await call("PUT", `${stack.endpoints.location}/locations/${userId}`, {
        body,
        headers: { ...json, Authorization: `Bearer ${token}` },
      });
      const got = await signedFetch(stack, `${stack.endpoints.location}/locations/${userId}`, {}, reader);
      const read = (await got.json()) as Record<string, unknown>;
      if (put.status !== 200 || got.status !== 200 || JSON.stringify(read) !== put.text) {
        failures.push({ body, put: put.status, answered: put.text, read: got.status, readBack: read });
      }
    }
    expect(failures).toEqual([]);
  });
});

describe("profile trusts no more of the catalog's answer than a base URL", () => {
  test("a registration whose endpoint_url ends in a fragment is refused with a 400", async () => {
    const registrar = stack.functions["location/RegistrarFunction"]?.credentials;
    const body = JSON.stringify({
      service_name: "location",
      service_version: `hard-${randomUUID().slice(0, 8)}`,
      endpoint_url: `${stack.endpoints.location}/locations/victim#`,
      ttl: 60,
      status: "healthy",
    });
    const reply = await signedFetch(
      stack,
      `${stack.endpoints.catalog}/catalog/register`,
      { method: "POST", body, headers: json },
      registrar,
    );
    expect(reply.status).toBe(400);
    expect(await reply.json()).toEqual({
      error: { code: "VALIDATION_ERROR", message: expect.stringContaining("endpoint_url") },
    });
  });
});

/** A POST from a loopback address of our choosing: the gateway gives it to Login as sourceIp. */
function postFrom(
  localAddress: string,
  url: string,
  body: unknown,
): Promise<{ status: number; retryAfter?: string }> {
  const target = new URL(url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        localAddress,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (response) => {
        response.resume();
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            retryAfter: response.headers["retry-after"] as string | undefined,
          }),
        );
      },
    );
    request.on("error", reject);
    request.end(payload);
  });
}

describe("the lock-out slows the attacking address, not the owner", () => {
  test("five failures from one address: that address gets 429 + Retry-After, the owner's address logs in", async () => {
    const { username } = await newUser();
    const tokens = `${stack.endpoints.auth}/tokens`;
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      statuses.push((await postFrom("127.0.0.2", tokens, { username, password: "a wrong password" })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const attacker = await postFrom("127.0.0.2", tokens, { username, password: PASSWORD });
    expect(attacker.status).toBe(429);
    expect(Number(attacker.retryAfter)).toBeGreaterThan(800);
    expect((await postFrom("127.0.0.3", tokens, { username, password: PASSWORD })).status).toBe(201);
  });
});
