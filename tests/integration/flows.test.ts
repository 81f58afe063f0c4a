import { randomUUID } from "node:crypto";
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { ScryptPasswordHasher } from "../../src/auth/domain/password-hasher";
import { createSignedHttpClient } from "../../src/shared/signed-http";
import { poll } from "../../tools/lib/cli";
import { type JsonReply, jsonRequest } from "../support/json-call";
import { releaseTestStack, sharedTestStack, type TestStack } from "../support/local-stack";

let stack: TestStack;
let signed: ReturnType<typeof createSignedHttpClient>;

beforeAll(async () => {
  stack = await sharedTestStack();
  signed = createSignedHttpClient({
    region: stack.region,
    credentials: async () => stack.credentials,
  });
}, 120_000);

afterAll(() => releaseTestStack(stack));

const call = jsonRequest;

const auth = (path: string) => `${stack.endpoints.auth}${path}`;
const location = (path: string) => `${stack.endpoints.location}${path}`;
const profile = (path: string) => `${stack.endpoints.profile}${path}`;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const PASSWORD = "correct horse battery staple";

function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

async function newUser(): Promise<{ userId: string; username: string; token: string }> {
  const username = uniqueName("user");
  const registered = await call("POST", auth("/users"), { username, password: PASSWORD });
  expect(registered.status).toBe(201);
  const login = await call("POST", auth("/tokens"), { username, password: PASSWORD });
  expect(login.status).toBe(201);
  return { userId: registered.body.userId, username, token: login.body.token };
}

/*
 * Someone who is not the user under test: a taken username, someone else's token, a wrong
 * password's target. No test changes its state, so one per file saves a user's two scrypt hashes
 * in each of those tests.
 */
let bystanderUser: Promise<{ userId: string; username: string; token: string }> | undefined;
const bystander = () => {
  bystanderUser ??= newUser();
  return bystanderUser;
};

function expectError(reply: JsonReply, status: number): void {
  expect({
    status: reply.status,
    code: typeof reply.body?.error?.code,
    message: typeof reply.body?.error?.message,
  }).toEqual({
    status,
    code: "string",
    message: "string",
  });
}

describe("the whole journey", () => {
  test("register -> login -> PUT location -> PUT profile -> GET profile shows the rounded location", async () => {
    const username = uniqueName("ada");
    const registered = await call("POST", auth("/users"), { username, password: PASSWORD });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({ userId: expect.any(String), username });
    const { userId } = registered.body;

    const login = await call("POST", auth("/tokens"), { username, password: PASSWORD });
    expect(login.status).toBe(201);
    expect(login.body).toEqual({
      token: expect.any(String),
      tokenType: "Bearer",
      expiresIn: expect.any(Number),
    });
    const token: string = login.body.token;

    const put = await call(
      "PUT",
      location(`/locations/${userId}`),
      { latitude: 51.507351, longitude: -0.127758 },
      bearer(token),
    );
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      userId,
      latitude: 51.507351,
      longitude: -0.127758,
      updatedAt: expect.any(String),
    });

    const created = await call(
      "PUT",
      profile(`/profiles/${userId}`),
      { displayName: "Ada", bio: "Analyst" },
      bearer(token),
    );
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      userId,
      displayName: "Ada",
      bio: "Analyst",
      version: 1,
      updatedAt: expect.any(String),
    });

    // GetLocation's first call is a cold start; on a loaded machine it can outlast profile's
    // lookup deadline, and profile then degrades by design, so the first read may come back without it.
    const read = await poll("profile to show the location", async () => {
      const reply = await call("GET", profile(`/profiles/${userId}`));
      return reply.body?.locationStatus === "unavailable" ? undefined : reply;
    });
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      userId,
      displayName: "Ada",
      bio: "Analyst",
      location: { latitude: 51.51, longitude: -0.13, updatedAt: put.body.updatedAt },
    });
    expect(read.body).not.toHaveProperty("locationStatus");
  });
});

describe("auth", () => {
  test("409 when the username is taken", async () => {
    const { username } = await bystander();
    const again = await call("POST", auth("/users"), { username, password: PASSWORD });
    expectError(again, 409);
  });

  test.each([
    ["too short a username", { username: "ab", password: PASSWORD }],
    ["upper-case username", { username: "Ada", password: PASSWORD }],
    ["too long a username", { username: "a".repeat(33), password: PASSWORD }],
    ["too short a password", { username: "validname", password: "short" }],
    ["too long a password", { username: "validname", password: "x".repeat(129) }],
    ["missing password", { username: "validname" }],
    ["wrong types", { username: 42, password: ["x"] }],
    ["an extra field", { username: "validname", password: PASSWORD, admin: true }],
  ])("400 for %s", async (_, body) => {
    expectError(await call("POST", auth("/users"), body), 400);
  });

  test("400 for malformed JSON, and for no body", async () => {
    expectError(await call("POST", auth("/users"), "{not json"), 400);
    expectError(await call("POST", auth("/users")), 400);
  });

  test("413 for a body over 64 KB", async () => {
    const reply = await call("POST", auth("/users"), {
      username: "validname",
      password: "x".repeat(70 * 1024),
    });
    expectError(reply, 413);
  });

  test("401 with the same body for a wrong password and an unknown user", async () => {
    const { username } = await bystander();
    const wrong = await call("POST", auth("/tokens"), { username, password: "not the password at all" });
    const unknown = await call("POST", auth("/tokens"), {
      username: uniqueName("ghost"),
      password: PASSWORD,
    });
    expectError(wrong, 401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });

  test("429 with Retry-After after repeated failures, even for the right password", async () => {
    const { username } = await newUser();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      statuses.push((await call("POST", auth("/tokens"), { username, password: "wrong password!!" })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const locked = await call("POST", auth("/tokens"), { username, password: PASSWORD });
    expectError(locked, 429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("a password hashed with older scrypt parameters is upgraded at the next login", async () => {
    const { username } = await newUser();
    const ssm = new SSMClient({
      endpoint: stack.awsEndpoint,
      region: stack.region,
      credentials: stack.credentials,
    });
    const dynamodb = new DynamoDBClient({
      endpoint: stack.dynamodbEndpoint,
      region: stack.region,
      credentials: stack.credentials,
    });
    try {
      const table = (await ssm.send(new GetParameterCommand({ Name: "/meridian/local/auth/table/name" })))
        .Parameter?.Value;
      const key = { pk: { S: `USER#${username}` } };
      const weak = await new ScryptPasswordHasher({ log2Cost: 10 }).hash(PASSWORD);
      await dynamodb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: "SET passwordHash = :weak",
          ExpressionAttributeValues: { ":weak": { S: weak } },
        }),
      );

      expect((await call("POST", auth("/tokens"), { username, password: PASSWORD })).status).toBe(201);
      const stored = (
        await dynamodb.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))
      ).Item?.passwordHash?.S;
      expect(stored).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$/);
      expect((await call("POST", auth("/tokens"), { username, password: PASSWORD })).status).toBe(201);
    } finally {
      ssm.destroy();
      dynamodb.destroy();
    }
  });
});

describe("location", () => {
  test("PUT: 401 without a token or with a bad one, 403 for someone else's location, 400 out of range", async () => {
    const owner = await newUser();
    const other = await bystander();
    const body = { latitude: 10, longitude: 20 };
    expectError(await call("PUT", location(`/locations/${owner.userId}`), body), 401);
    expectError(await call("PUT", location(`/locations/${owner.userId}`), body, bearer("not.a.token")), 401);
    expectError(
      await call("PUT", location(`/locations/${owner.userId}`), body, bearer(`${owner.token}x`)),
      401,
    );
    expectError(await call("PUT", location(`/locations/${owner.userId}`), body, bearer(other.token)), 403);
    for (const bad of [
      { latitude: 90.0001, longitude: 0 },
      { latitude: -91, longitude: 0 },
      { latitude: 0, longitude: 180.5 },
      { latitude: 0, longitude: -181 },
      { latitude: "north", longitude: 0 },
      { latitude: 0 },
    ]) {
      expectError(await call("PUT", location(`/locations/${owner.userId}`), bad, bearer(owner.token)), 400);
    }
    const edge = await call(
      "PUT",
      location(`/locations/${owner.userId}`),
      { latitude: -90, longitude: 180 },
      bearer(owner.token),
    );
    expect(edge.status).toBe(200);
  });

  test("GET is IAM-only: unsigned 403, signed 200, signed but absent 404", async () => {
    const user = await newUser();
    await call(
      "PUT",
      location(`/locations/${user.userId}`),
      { latitude: 1.23456, longitude: 2.34567 },
      bearer(user.token),
    );
    expectError(await call("GET", location(`/locations/${user.userId}`)), 403);
    expectError(await call("GET", location(`/locations/${user.userId}`), undefined, bearer(user.token)), 403);

    const found = await signed.request("GET", location(`/locations/${user.userId}`));
    expect(found).toEqual({
      status: 200,
      body: { userId: user.userId, latitude: 1.23456, longitude: 2.34567, updatedAt: expect.any(String) },
    });
    const absent = await signed.request("GET", location(`/locations/${randomUUID()}`));
    expect(absent.status).toBe(404);
  });
});

describe("profile", () => {
  test("optimistic concurrency: If-Match mismatch and a blind overwrite are 412, no update is lost", async () => {
    const user = await newUser();
    const url = profile(`/profiles/${user.userId}`);
    const v1 = await call("PUT", url, { displayName: "First" }, bearer(user.token));
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({ version: 1, bio: null });

    expectError(await call("PUT", url, { displayName: "Blind" }, bearer(user.token)), 412);
    const v2 = await call("PUT", url, { displayName: "Second" }, { ...bearer(user.token), "If-Match": "1" });
    expect(v2.status).toBe(200);
    expect(v2.body).toMatchObject({ displayName: "Second", version: 2 });
    expectError(
      await call("PUT", url, { displayName: "Stale" }, { ...bearer(user.token), "If-Match": "1" }),
      412,
    );

    const read = await call("GET", url);
    expect(read.body).toMatchObject({ displayName: "Second", location: null });
  });

  test("concurrent updates with the same version: exactly one wins", async () => {
    const user = await newUser();
    const url = profile(`/profiles/${user.userId}`);
    await call("PUT", url, { displayName: "Base" }, bearer(user.token));
    const replies = await Promise.all(
      ["A", "B", "C", "D"].map((name) =>
        call("PUT", url, { displayName: name }, { ...bearer(user.token), "If-Match": "1" }),
      ),
    );
    expect(replies.map((reply) => reply.status).sort()).toEqual([200, 412, 412, 412]);
  });

  test("PUT: 401 without a token, 403 for someone else's profile, 400 for bad input", async () => {
    const owner = await newUser();
    const other = await bystander();
    const url = profile(`/profiles/${owner.userId}`);
    expectError(await call("PUT", url, { displayName: "X" }), 401);
    expectError(await call("PUT", url, { displayName: "X" }, bearer(other.token)), 403);
    expectError(await call("PUT", url, { displayName: "" }, bearer(owner.token)), 400);
    expectError(await call("PUT", url, { displayName: "X", extra: 1 }, bearer(owner.token)), 400);
    expectError(await call("PUT", url, { displayName: "X", bio: "b".repeat(501) }, bearer(owner.token)), 400);
  });

  test("GET: 404 for no profile; 400 for odd path characters", async () => {
    expectError(await call("GET", profile(`/profiles/${randomUUID()}`)), 404);
    expectError(await call("GET", profile(`/profiles/${encodeURIComponent("a b<script>")}`)), 400);
  });

  test("GET degrades to location null with locationStatus unavailable when location is down", async () => {
    const user = await newUser();
    await call(
      "PUT",
      location(`/locations/${user.userId}`),
      { latitude: 48.858844, longitude: 2.294351 },
      bearer(user.token),
    );
    await call("PUT", profile(`/profiles/${user.userId}`), { displayName: "Gus" }, bearer(user.token));

    await stack.stopService("location");
    try {
      const degraded = await call("GET", profile(`/profiles/${user.userId}`));
      expect(degraded.status).toBe(200);
      expect(degraded.body).toEqual({
        userId: user.userId,
        displayName: "Gus",
        bio: null,
        location: null,
        locationStatus: "unavailable",
      });
    } finally {
      await stack.startService("location");
    }
    const healthy = await call("GET", profile(`/profiles/${user.userId}`));
    expect(healthy.body.location).toEqual({
      latitude: 48.86,
      longitude: 2.29,
      updatedAt: expect.any(String),
    });
  });
});

describe("the gateway", () => {
  test("unknown routes and methods get a JSON 4xx, never a 5xx", async () => {
    expect.hasAssertions();
    for (const [method, url] of [
      ["GET", auth("/nope")],
      ["DELETE", auth("/users")],
      ["PATCH", profile("/profiles/x")],
      ["GET", `${stack.gatewayUrl}/no-such-service/x`],
    ] as const) {
      const reply = await call(method, url);
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      expect(typeof reply.body?.error?.message).toBe("string");
    }
  });
});
