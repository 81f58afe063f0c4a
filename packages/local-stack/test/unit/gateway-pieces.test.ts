import { buildProxyEvent, isBinaryBody, readProxyResult } from "../../src/gateway/api-event";
import { type AuthorizationRequest, LambdaAuthorizers, methodArn } from "../../src/gateway/authorizer";
import { renderGatewayResponse } from "../../src/gateway/responses";
import type { InvokeOutcome } from "../../src/runtime/pool";
import type { AuthorizerDefinition } from "../../src/template/model";
import { validationPattern } from "../../src/template/plan";

const TEMPLATES = {
  DEFAULT_4XX: {
    ResponseTemplates: {
      "application/json":
        '{"error":{"code":"$context.error.responseType","message":$context.error.messageString}}',
    },
  },
  DEFAULT_5XX: {
    ResponseTemplates: {
      "application/json":
        '{"error":{"code":"$context.error.responseType","message":$context.error.messageString}}',
    },
  },
};

describe("gateway responses", () => {
  test("rendered from DEFAULT_4XX / DEFAULT_5XX with API Gateway's status codes", () => {
    const denied = renderGatewayResponse(TEMPLATES, "ACCESS_DENIED", 'User "x" is not authorized', {
      requestId: "r-1",
    });
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toEqual({
      error: { code: "ACCESS_DENIED", message: 'User "x" is not authorized' },
    });
    expect(denied.headers).toMatchObject({
      "x-amzn-ErrorType": "AccessDeniedException",
      "x-amzn-RequestId": "r-1",
    });
    expect(renderGatewayResponse(TEMPLATES, "UNAUTHORIZED", "Unauthorized", { requestId: "r" }).status).toBe(
      401,
    );
    expect(
      renderGatewayResponse(TEMPLATES, "REQUEST_TOO_LARGE", "Request Too Long", { requestId: "r" }).status,
    ).toBe(413);
    expect(
      renderGatewayResponse(TEMPLATES, "INTEGRATION_FAILURE", "Internal server error", { requestId: "r" })
        .status,
    ).toBe(502);
    expect(
      renderGatewayResponse(TEMPLATES, "INTEGRATION_TIMEOUT", "Endpoint request timed out", {
        requestId: "r",
      }).status,
    ).toBe(504);
    expect(
      renderGatewayResponse(TEMPLATES, "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token", {
        requestId: "r",
      }).status,
    ).toBe(403);
  });

  test("a specific response type wins, with its status code and headers", () => {
    const responses = {
      ...TEMPLATES,
      UNAUTHORIZED: {
        StatusCode: "401",
        ResponseParameters: {
          Headers: { "WWW-Authenticate": "'Bearer'", "X-Echo": "method.request.header.x-request" },
        },
        ResponseTemplates: {
          "application/json": '{"m":$context.error.messageString,"id":"$context.requestId"}',
        },
      },
    };
    const rendered = renderGatewayResponse(responses, "UNAUTHORIZED", "Unauthorized", {
      requestId: "r-2",
      requestHeaders: { "x-request": "abc" },
    });
    expect(rendered).toMatchObject({
      status: 401,
      headers: { "WWW-Authenticate": "Bearer", "X-Echo": "abc" },
    });
    expect(JSON.parse(rendered.body)).toEqual({ m: "Unauthorized", id: "r-2" });
  });

  test("without templates: API Gateway's default {message}", () => {
    const rendered = renderGatewayResponse(
      {},
      "MISSING_AUTHENTICATION_TOKEN",
      "Missing Authentication Token",
      { requestId: "r" },
    );
    expect(JSON.parse(rendered.body)).toEqual({ message: "Missing Authentication Token" });
  });
});

describe("proxy event and result", () => {
  test("text and binary bodies", () => {
    expect(isBinaryBody(undefined, [])).toBe(false);
    expect(isBinaryBody("application/json; charset=utf-8", [])).toBe(false);
    expect(isBinaryBody("application/vnd.api+json", [])).toBe(false);
    expect(isBinaryBody("text/csv", [])).toBe(false);
    expect(isBinaryBody("application/octet-stream", [])).toBe(true);
    expect(isBinaryBody("image/png", [])).toBe(true);
    expect(isBinaryBody("application/json", ["application/json"])).toBe(true);
    expect(isBinaryBody("image/webp", ["image/*"])).toBe(true);
  });

  test("headers keep the client's casing; repeated ones are multi-value; query strings decoded", () => {
    const event = buildProxyEvent(
      {
        method: "GET",
        path: "/things/a%20b",
        rawQuery: "x=1&x=2&y=%C3%A9",
        rawHeaders: ["Host", "127.0.0.1:3000", "X-Thing", "a", "x-thing", "b"],
        body: Buffer.alloc(0),
        sourceIp: "127.0.0.1",
        host: "127.0.0.1:3000",
      },
      {
        resourcePath: "/things/{id}",
        pathParameters: { id: "a b" },
        apiId: "abcdefghij",
        stage: "local",
        binaryMediaTypes: [],
      },
      {
        requestId: "r-1",
        accountId: "000000000000",
        now: new Date("2026-01-02T03:04:05Z"),
        authorizer: { principalId: "p" },
      },
    );
    expect(event.headers["X-Thing"]).toBe("b");
    expect(event.multiValueHeaders["X-Thing"]).toEqual(["a", "b"]);
    expect(event.headers["X-Forwarded-Port"]).toBe("3000");
    expect(event.queryStringParameters).toEqual({ x: "2", y: "é" });
    expect(event.multiValueQueryStringParameters).toEqual({ x: ["1", "2"], y: ["é"] });
    expect(event.pathParameters).toEqual({ id: "a b" });
    expect(event.body).toBeNull();
    expect(event.requestContext).toMatchObject({
      requestTime: "02/Jan/2026:03:04:05 +0000",
      requestTimeEpoch: Date.parse("2026-01-02T03:04:05Z"),
      path: "/local/things/a%20b",
      authorizer: { principalId: "p" },
    });
  });

  test("stageVariables: the stage's variables as an object, null when it has none (as API Gateway sends them)", () => {
    const request = {
      method: "GET",
      path: "/x",
      rawQuery: "",
      rawHeaders: ["Host", "127.0.0.1:3000"],
      body: Buffer.alloc(0),
      sourceIp: "127.0.0.1",
      host: "127.0.0.1:3000",
    };
    const route = {
      resourcePath: "/x",
      pathParameters: {},
      apiId: "abcdefghij",
      stage: "local",
      binaryMediaTypes: [],
    };
    const context = { requestId: "r-1", accountId: "000000000000", now: new Date() };
    expect(buildProxyEvent(request, route, context).stageVariables).toBeNull();
    expect(buildProxyEvent(request, { ...route, stageVariables: {} }, context).stageVariables).toBeNull();
    expect(
      buildProxyEvent(request, { ...route, stageVariables: { alias: "live", table: "t" } }, context)
        .stageVariables,
    ).toEqual({ alias: "live", table: "t" });
  });

  test("reading a proxy result", () => {
    expect(
      readProxyResult({
        statusCode: 201,
        headers: { a: "1", n: 2 },
        multiValueHeaders: { b: ["x", "y"] },
        body: "hi",
      }),
    ).toEqual({
      status: 201,
      headers: { a: "1", n: "2", b: ["x", "y"] },
      body: Buffer.from("hi"),
    });
    expect(
      readProxyResult({
        statusCode: "200",
        body: Buffer.from([1, 2]).toString("base64"),
        isBase64Encoded: true,
      }),
    ).toMatchObject({
      status: 200,
      body: Buffer.from([1, 2]),
    });
    expect(readProxyResult({ statusCode: 204 })).toMatchObject({ status: 204, body: Buffer.alloc(0) });
    expect(readProxyResult(null)).toMatch(/Malformed/);
    expect(readProxyResult({ body: "x" })).toMatch(/statusCode/);
    expect(readProxyResult({ statusCode: 200, body: { a: 1 } })).toMatch(/body must be a string/);
    expect(readProxyResult({ statusCode: 99 })).toMatch(/statusCode/);
  });
});

describe("Lambda authorizer", () => {
  const authorizer: AuthorizerDefinition = {
    name: "TokenAuthorizer",
    payloadType: "TOKEN",
    functionArn: "arn:aws:lambda:us-east-1:000000000000:function:auth",
    identityHeader: "Authorization",
    reauthorizeEvery: 300,
    identityHeaders: [],
    identityQueryStrings: [],
  };
  const arnFor = (method: string, path: string) =>
    methodArn("us-east-1", "000000000000", "abcdefghij", "local", method, path);
  const request = (token: string | undefined, method = "GET", path = "/items/1"): AuthorizationRequest => ({
    apiId: "abcdefghij",
    methodArn: arnFor(method, path),
    headers: token === undefined ? {} : { authorization: token },
    query: new URLSearchParams(),
    requestEvent: () => ({}),
  });
  const allowGet: InvokeOutcome = {
    ok: true,
    requestId: "r",
    payloadBytes: 0,
    coldStart: false,
    durationMs: 1,
    payload: {
      principalId: "u-1",
      policyDocument: {
        Statement: [
          {
            Effect: "Allow",
            Action: "execute-api:Invoke",
            Resource: arnFor("GET", "/*").replace("/GET//*", "/GET/*"),
          },
        ],
      },
      context: { userId: "u-1" },
    },
  };

  test("method ARN shape", () => {
    expect(arnFor("PUT", "/locations/u-1")).toBe(
      "arn:aws:execute-api:us-east-1:000000000000:abcdefghij/local/PUT/locations/u-1",
    );
  });

  test("caches per token for ReauthorizeEvery and evaluates the cached policy per request", async () => {
    let now = 0;
    const calls: unknown[] = [];
    const authorizers = new LambdaAuthorizers(
      async (_arn, event) => {
        calls.push(event);
        return allowGet;
      },
      () => now,
    );
    expect(await authorizers.authorize(authorizer, request("Bearer t"))).toMatchObject({
      ok: true,
      principalId: "u-1",
      cached: false,
    });
    expect(calls).toEqual([
      { type: "TOKEN", authorizationToken: "Bearer t", methodArn: arnFor("GET", "/items/1") },
    ]);
    expect(await authorizers.authorize(authorizer, request("Bearer t", "GET", "/items/2"))).toMatchObject({
      ok: true,
      cached: true,
    });
    expect(await authorizers.authorize(authorizer, request("Bearer t", "DELETE"))).toMatchObject({
      ok: false,
      type: "ACCESS_DENIED",
    });
    expect(calls).toHaveLength(1);
    now = 301_000;
    await authorizers.authorize(authorizer, request("Bearer t"));
    expect(calls).toHaveLength(2);
    await authorizers.authorize({ ...authorizer, reauthorizeEvery: 0 }, request("Bearer t"));
    await authorizers.authorize({ ...authorizer, reauthorizeEvery: 0 }, request("Bearer t"));
    expect(calls).toHaveLength(4);
  });

  test("401 without the header or when the ValidationExpression fails, without calling the function", async () => {
    const invoke = jest.fn();
    const authorizers = new LambdaAuthorizers(invoke);
    expect(await authorizers.authorize(authorizer, request(undefined))).toMatchObject({
      ok: false,
      type: "UNAUTHORIZED",
    });
    expect(
      await authorizers.authorize(
        { ...authorizer, validationPattern: validationPattern("Bearer [a-z]+") },
        request("Bearer 123"),
      ),
    ).toMatchObject({ ok: false, type: "UNAUTHORIZED" });
    expect(invoke).not.toHaveBeenCalled();
  });

  test("a ValidationExpression is compiled once and must match the whole token", () => {
    const pattern = validationPattern("Bearer [a-z]+");
    expect(pattern.test("Bearer abc")).toBe(true);
    expect(pattern.test("Bearer abc1")).toBe(false);
    expect(pattern.test("xBearer abc")).toBe(false);
    expect(validationPattern("a|b").test("ab")).toBe(false);
    expect(() => validationPattern("(")).toThrow(SyntaxError);
  });

  test("'Unauthorized' is 401, other failures 500, no local function 500", async () => {
    const failing = (message: string): InvokeOutcome => ({
      ok: false,
      requestId: "r",
      kind: "error",
      durationMs: 1,
      error: { errorType: "Error", errorMessage: message },
    });
    expect(
      await new LambdaAuthorizers(async () => failing("Unauthorized")).authorize(authorizer, request("x")),
    ).toMatchObject({
      type: "UNAUTHORIZED",
    });
    expect(
      await new LambdaAuthorizers(async () => failing("boom")).authorize(authorizer, request("x")),
    ).toMatchObject({
      type: "AUTHORIZER_FAILURE",
    });
    expect(
      await new LambdaAuthorizers(async () => undefined).authorize(authorizer, request("x")),
    ).toMatchObject({
      type: "AUTHORIZER_CONFIGURATION_ERROR",
    });
  });
});
