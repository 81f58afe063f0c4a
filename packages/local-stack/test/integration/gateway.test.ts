import { connect } from "node:net";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { createSignedHttpClient } from "../../../../src/shared/signed-http";
import { signedFetch, type TestStack } from "../support/stack";
import { call, startFixtureStack } from "./fixture";

let stack: TestStack;
let alpha: string;
let beta: string;

beforeAll(async () => {
  stack = await startFixtureStack();
  alpha = stack.endpoints.alpha ?? "";
  beta = stack.endpoints.beta ?? "";
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

/** Sends bytes as they are (no URL normalisation by a client) and returns the raw response. */
function rawRequest(text: string): Promise<string> {
  const port = Number(new URL(stack.gatewayUrl).port);
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
    });
    socket.on("end", () => resolve(received));
    socket.on("error", reject);
    setTimeout(() => {
      socket.destroy();
      resolve(received);
    }, 3000);
  });
}

function statusOf(raw: string): number {
  return Number(raw.split(" ")[1]);
}

/** A GET of `target` as SignatureV4 takes it, before signing. */
function unsignedGet(target: URL) {
  return {
    method: "GET",
    protocol: "http:",
    hostname: target.hostname,
    port: Number(target.port),
    path: target.pathname,
    query: {},
    headers: { host: target.host },
  };
}

/** Signs for execute-api with the stack's operator credentials. */
function operatorSigner(): SignatureV4 {
  return new SignatureV4({
    service: "execute-api",
    region: stack.region,
    credentials: stack.credentials,
    sha256: Sha256,
  });
}

describe("routing and the proxy event", () => {
  test("each API has a port of its own and its base URL is /<stage> there, as its execute-api host", () => {
    expect(stack.endpoints).toEqual({
      alpha: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/local$/),
      beta: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/local$/),
    });
    const ports = [stack.gatewayUrl, alpha, beta].map((url) => new URL(url).port);
    expect(new Set(ports).size).toBe(3);
  });

  test("the gateway's own port serves each API at /<service> too, as the site's distribution does", async () => {
    const direct = await call("GET", `${alpha}/echo`);
    const beside = await call("GET", `${stack.gatewayUrl}/alpha/echo`);
    expect([direct.status, beside.status]).toEqual([200, 200]);
    expect(beside.body.event).toMatchObject({ resource: "/echo", path: "/echo" });
  });

  test("builds an API Gateway REST proxy event", async () => {
    const reply = await call("POST", `${alpha}/echo?a=1&b=2&b=3&sp=x+y`, {
      body: JSON.stringify({ hello: "world" }),
      headers: { "Content-Type": "application/json", "X-Custom": "One" },
    });
    expect(reply.status).toBe(200);
    const { event, context } = reply.body;
    expect(event).toMatchObject({
      resource: "/echo",
      path: "/echo",
      httpMethod: "POST",
      queryStringParameters: { a: "1", b: "3", sp: "x y" },
      multiValueQueryStringParameters: { a: ["1"], b: ["2", "3"], sp: ["x y"] },
      pathParameters: null,
      stageVariables: null,
      body: '{"hello":"world"}',
      isBase64Encoded: false,
      requestContext: {
        accountId: "000000000000",
        stage: "local",
        resourcePath: "/echo",
        httpMethod: "POST",
        path: "/local/echo",
        protocol: "HTTP/1.1",
        identity: { sourceIp: "127.0.0.1" },
      },
    });
    expect(event.headers["x-custom"] ?? event.headers["X-Custom"]).toBe("One");
    expect(event.multiValueHeaders).toBeDefined();
    expect(event.requestContext.requestId).toBe(reply.headers.get("x-amzn-requestid"));
    expect(context.awsRequestId).toBe(event.requestContext.requestId);
    expect(context.functionName).toBe("meridian-local-alpha-EchoFunction");
    expect(context.memoryLimitInMB).toBe("256");
    expect(context.remainingMs).toBeGreaterThan(3000);
    expect(context.remainingMs).toBeLessThanOrEqual(5000);
  });

  test("maps the proxy result: status, headers, multi-value headers", async () => {
    const reply = await call("GET", `${alpha}/echo`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get("x-echo")).toBe("yes");
    expect(reply.headers.get("set-cookie")).toBe("a=1, b=2");
    expect(reply.body.event.body).toBeNull();
  });

  test("path parameters are URL-decoded; literal parts win over {param}; {proxy+} is greedy", async () => {
    const param = await call("GET", `${alpha}/things/a%20b%2Fc`);
    expect(param.body.event).toMatchObject({
      resource: "/things/{thingId}",
      pathParameters: { thingId: "a b/c" },
    });
    const literal = await call("GET", `${alpha}/things/special`);
    expect(literal.body.event.resource).toBe("/things/special");
    const anyMethod = await call("DELETE", `${alpha}/things/x`);
    expect(anyMethod.body.event).toMatchObject({ httpMethod: "DELETE", resource: "/things/{thingId}" });
    const greedy = await call("GET", `${alpha}/files/a/b/c.txt`);
    expect(greedy.body.event).toMatchObject({
      resource: "/files/{proxy+}",
      pathParameters: { proxy: "a/b/c.txt" },
    });
  });

  test("non-text bodies arrive base64-encoded", async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251]);
    const reply = await call("POST", `${alpha}/echo`, {
      body: bytes,
      headers: { "Content-Type": "image/png" },
    });
    expect(reply.body.event.isBase64Encoded).toBe(true);
    expect(Buffer.from(reply.body.event.body, "base64")).toEqual(bytes);
  });

  test("a base64 proxy result is decoded into bytes", async () => {
    const response = await fetch(`${alpha}/fail/binary`);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  test("environment variables come from the template (Globals merged, intrinsics resolved)", async () => {
    const { env } = (await call("GET", `${alpha}/echo`)).body;
    expect(env).toMatchObject({
      AWS_REGION: "us-east-1",
      AWS_LAMBDA_FUNCTION_NAME: "meridian-local-alpha-EchoFunction",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
      AWS_ENDPOINT_URL_DYNAMODB: stack.dynamodbEndpoint,
      AWS_ENDPOINT_URL_SSM: stack.awsEndpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: stack.awsEndpoint,
      GLOBAL_ONLY: "from-globals",
      OVERRIDDEN: "from-function",
      TABLE_NAME: "meridian-local-alpha-ItemsTable",
      TABLE_ARN: "arn:aws:dynamodb:us-east-1:000000000000:table/meridian-local-alpha-ItemsTable",
      GREETING: "hello from environments.yaml",
      STACK: "meridian-local-alpha in us-east-1 (000000000000, aws)",
      API_URL: alpha,
      JOINED: "a/y/local",
      POWERTOOLS_SERVICE_NAME: "alpha",
    });
    expect(env.SECRET_ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:meridian-local-alpha-SigningSecret-\w{6}$/,
    );
  });

  test("a function reaches DynamoDB, SSM and Secrets Manager through the standard endpoint variables", async () => {
    const reply = await call("GET", `${alpha}/aws`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      tableName: "meridian-local-alpha-ItemsTable",
      secretLength: 40,
      owner: "echo",
    });
  });

  test("an execution environment is reused (module loaded once)", async () => {
    const first = (await call("GET", `${alpha}/echo`)).body.invocations;
    const second = (await call("GET", `${alpha}/echo`)).body.invocations;
    expect(second).toBe(first + 1);
  });
});

describe("gateway errors", () => {
  test("unknown route or method under a known API: 403 MISSING_AUTHENTICATION_TOKEN from the API's template", async () => {
    expect.hasAssertions();
    for (const [method, url] of [
      ["GET", `${alpha}/nope`],
      ["DELETE", `${alpha}/echo`],
      ["GET", `${alpha}/things`],
      ["GET", `${alpha}//echo`],
      // On an API's own port: no stage, another stage, the stage twice.
      ["GET", new URL(alpha).origin],
      ["GET", `${new URL(alpha).origin}/prod/echo`],
      ["GET", `${alpha}/local/echo`],
    ] as const) {
      const reply = await call(method, url);
      expect({ url, status: reply.status, body: reply.body }).toEqual({
        url,
        status: 403,
        body: { error: { code: "MISSING_AUTHENTICATION_TOKEN", message: "Missing Authentication Token" } },
      });
      expect(reply.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
    }
  });

  test("an API without GatewayResponses answers in API Gateway's default shape", async () => {
    const reply = await call("GET", `${beta}/nope`);
    expect(reply.status).toBe(403);
    expect(reply.body).toEqual({ message: "Missing Authentication Token" });
  });

  test("unknown service prefix: 404 JSON", async () => {
    const reply = await call("GET", `${stack.gatewayUrl}/no-such-service/x`);
    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe("RESOURCE_NOT_FOUND");
  });

  test("the root lists the services", async () => {
    const reply = await call("GET", `${stack.gatewayUrl}/`);
    expect(reply.body).toEqual({ services: stack.endpoints });
  });

  test("a doubled slash is not the root: //<service>/... names no API", async () => {
    const reply = await call("GET", `${stack.gatewayUrl}//alpha/echo`);
    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe("RESOURCE_NOT_FOUND");
  });

  test("a body over 10 MB: 413 without reading it all", async () => {
    const body = Buffer.alloc(10 * 1024 * 1024 + 1, 0x61);
    const reply = await call("POST", `${alpha}/echo`, { body, headers: { "Content-Type": "text/plain" } });
    expect(reply.status).toBe(413);
    expect(reply.body).toEqual({ error: { code: "REQUEST_TOO_LARGE", message: "Request Too Long" } });
    // Just under the limit passes the gateway (Lambda's own 6 MB limit then applies).
    const under = await call("POST", `${alpha}/echo`, {
      body: Buffer.alloc(1024 * 1024, 0x61),
      headers: { "Content-Type": "text/plain" },
    });
    expect(under.status).toBe(200);
  });

  test("a request over Lambda's 6 MB payload limit fails like a Lambda error", async () => {
    const reply = await call("POST", `${alpha}/echo`, {
      body: Buffer.alloc(7 * 1024 * 1024, 0x61),
      headers: { "Content-Type": "text/plain" },
    });
    expect(reply.status).toBe(502);
    expect(reply.body.error.code).toBe("INTEGRATION_FAILURE");
  });

  test("odd path characters: 4xx JSON, never a crash", async () => {
    for (const path of ["/alpha/things/%zz", "/alpha/%E0%A4%A", "/%", "/alpha/things/%00"]) {
      const reply = await call("GET", `${stack.gatewayUrl}${path}`);
      expect({ path, ok: reply.status >= 400 && reply.status < 500 }).toEqual({ path, ok: true });
      expect(typeof reply.body?.error?.message === "string" || typeof reply.body?.message === "string").toBe(
        true,
      );
    }
    for (const raw of [
      "GET /alpha/echo%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET /alpha/ec ho HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "BREW /alpha/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET /alpha/echo HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    ]) {
      const response = await rawRequest(raw);
      const status = statusOf(response);
      expect({ raw, status: status >= 400 && status < 500 }).toEqual({ raw, status: true });
      expect(response).toMatch(/application\/json/i);
    }
    expect((await call("GET", `${alpha}/echo`)).status).toBe(200);
  });

  test("a request without a Host header: 400 with the contract's JSON error", async () => {
    const response = await rawRequest("GET /alpha/echo HTTP/1.1\r\nConnection: close\r\n\r\n");
    expect(statusOf(response)).toBe(400);
    expect(response).toMatch(/application\/json/i);
    const body = JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4));
    expect(body).toEqual({ error: { code: "BAD_REQUEST", message: expect.stringMatching(/Host/) } });
  });
});

describe("broken handlers never take the stack down", () => {
  test.each([
    ["throw", 502],
    ["exit", 502],
    ["uncaught", 502],
    ["malformed", 502],
    ["big", 502],
  ])("%s -> %i JSON, and the function serves again", async (mode, status) => {
    const reply = await call("GET", `${alpha}/fail/${mode}`);
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual({ error: { code: "INTEGRATION_FAILURE", message: "Internal server error" } });
    expect((await call("GET", `${alpha}/fail/ok`)).status).toBe(200);
  });

  test("a handler past its Timeout is ended: 502 (Lambda timed out), then a cold start", async () => {
    const started = Date.now();
    const reply = await call("GET", `${alpha}/fail/timeout`);
    expect(reply.status).toBe(502);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(
      stack.logs.some(
        (entry) => entry.source === "platform" && /Task timed out after 1.00 seconds/.test(entry.message),
      ),
    ).toBe(true);
    expect((await call("GET", `${alpha}/fail/ok`)).status).toBe(200);
    expect((await call("GET", `${alpha}/echo`)).status).toBe(200);
  });

  test("the thrown error is logged with its stack, but not sent to the client", async () => {
    const reply = await call("GET", `${alpha}/fail/throw`);
    expect(reply.text).not.toMatch(/exploded/);
    expect(stack.logs.some((entry) => /TypeError: handler exploded/.test(entry.message))).toBe(true);
  });
});

describe("token authorizer", () => {
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  test("allowed: the authorizer's context and principalId reach the handler", async () => {
    const reply = await call("GET", `${alpha}/private/u-7`, { headers: bearer("allow u-7") });
    expect(reply.status).toBe(200);
    expect(reply.body.event.requestContext.authorizer).toMatchObject({
      principalId: "u-7",
      userId: "u-7",
      username: "fixture",
      admin: "false",
    });
  });

  test("missing header 401; 'Unauthorized' 401; denied 403; other failures 500", async () => {
    expect.hasAssertions();
    const cases: Array<[Record<string, string>, number, string]> = [
      [{}, 401, "UNAUTHORIZED"],
      [bearer("unauthorized"), 401, "UNAUTHORIZED"],
      [bearer("deny"), 403, "ACCESS_DENIED"],
      [bearer("boom"), 500, "AUTHORIZER_FAILURE"],
      [bearer("malformed"), 500, "AUTHORIZER_CONFIGURATION_ERROR"],
    ];
    for (const [headers, status, code] of cases) {
      const reply = await call("GET", `${alpha}/private/u-1`, { headers });
      expect({ headers, status: reply.status, code: reply.body?.error?.code }).toEqual({
        headers,
        status,
        code,
      });
    }
  });

  test("the policy is evaluated against the method ARN, and cached per token", async () => {
    const allowed = await call("GET", `${alpha}/private/u-1`, { headers: bearer("narrow") });
    expect(allowed.status).toBe(200);
    const count = Number(allowed.body.event.requestContext.authorizer.invocations);
    // Same token, other method: the cached policy does not cover it.
    const denied = await call("PUT", `${alpha}/private/u-1`, { headers: bearer("narrow") });
    expect(denied.status).toBe(403);
    const again = await call("GET", `${alpha}/private/u-2`, { headers: bearer("narrow") });
    expect(Number(again.body.event.requestContext.authorizer.invocations)).toBe(count);
  });

  test("another service's routes use the authorizer whose ARN came through SSM", async () => {
    const reply = await call("GET", `${beta}/hello`, { headers: bearer("allow u-9") });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      alphaApiUrl: alpha,
      authorizer: expect.objectContaining({ principalId: "u-9", userId: "u-9" }),
    });
    expect((await call("GET", `${beta}/hello`)).status).toBe(401);
    expect((await call("GET", `${beta}/open`)).status).toBe(200);
  });
});

describe("AWS_IAM routes (SigV4)", () => {
  const url = () => `${alpha}/iam?q=1&r=a%20b`;

  test("unsigned: 403", async () => {
    const reply = await call("GET", url());
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toBe("MISSING_AUTHENTICATION_TOKEN");
  });

  test("signed with the local credentials: passes, with the caller's identity", async () => {
    const response = await signedFetch(stack, url(), {
      method: "POST",
      body: JSON.stringify({ a: 1 }),
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      event: { requestContext: { identity: { accessKey: string } } };
    };
    expect(body.event.requestContext.identity.accessKey).toBe(stack.credentials.accessKeyId);
  });

  test("the repository's signed HTTP client works against it", async () => {
    const client = createSignedHttpClient({
      region: stack.region,
      credentials: async () => stack.credentials,
    });
    const reply = await client.request("GET", url());
    expect(reply.status).toBe(200);
  });

  test("wrong secret: 403; unknown key: 403", async () => {
    const wrong = await signedFetch(
      stack,
      url(),
      {},
      { ...stack.credentials, secretAccessKey: "not-the-secret" },
    );
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe("INVALID_SIGNATURE");
    const unknown = await signedFetch(stack, url(), {}, { accessKeyId: "AKIAUNKNOWN", secretAccessKey: "x" });
    expect(unknown.status).toBe(403);
  });

  test("tampered body or query after signing: 403", async () => {
    const target = new URL(url());
    const signer = operatorSigner();
    const signed = await signer.sign({
      method: "POST",
      protocol: "http:",
      hostname: target.hostname,
      port: Number(target.port),
      path: target.pathname,
      query: { q: "1", r: "a b" },
      headers: { host: target.host, "content-type": "application/json" },
      body: '{"amount":1}',
    });
    const ok = await fetch(target, { method: "POST", headers: signed.headers, body: '{"amount":1}' });
    expect(ok.status).toBe(200);
    const tamperedBody = await fetch(target, {
      method: "POST",
      headers: signed.headers,
      body: '{"amount":1000}',
    });
    expect(tamperedBody.status).toBe(403);
    const tamperedQuery = await fetch(`${alpha}/iam?q=2&r=a%20b`, {
      method: "POST",
      headers: signed.headers,
      body: '{"amount":1}',
    });
    expect(tamperedQuery.status).toBe(403);
  });

  test("presigned URL: passes; expired: 403", async () => {
    const target = new URL(`${alpha}/iam`);
    const signer = operatorSigner();
    const presign = async (signingDate: Date) => {
      const request = await signer.presign(unsignedGet(target), { expiresIn: 60, signingDate });
      const query = new URLSearchParams(request.query as Record<string, string>);
      return `${target.origin}${target.pathname}?${query.toString()}`;
    };
    expect((await fetch(await presign(new Date()))).status).toBe(200);
    expect((await fetch(await presign(new Date(Date.now() - 3_600_000)))).status).toBe(403);
  });

  test("a signature older than 15 minutes: 403", async () => {
    const target = new URL(`${alpha}/iam`);
    const signer = operatorSigner();
    const signed = await signer.sign(unsignedGet(target), {
      signingDate: new Date(Date.now() - 20 * 60_000),
    });
    const reply = await fetch(target, { headers: signed.headers });
    expect(reply.status).toBe(403);
    expect(((await reply.json()) as { error: { message: string } }).error.message).toMatch(
      /Signature expired/,
    );
  });
});

describe("stopService / startService", () => {
  test("a stopped service answers 503 JSON; started again it serves", async () => {
    await stack.stopService("alpha");
    const stopped = await call("GET", `${alpha}/echo`);
    expect(stopped.status).toBe(503);
    expect(stopped.body.error.code).toBe("SERVICE_UNAVAILABLE");
    expect((await call("GET", `${beta}/open`)).status).toBe(200);
    await stack.startService("alpha");
    expect((await call("GET", `${alpha}/echo`)).status).toBe(200);
    await expect(stack.stopService("nope")).rejects.toThrow(/Unknown service/);
  });
});
