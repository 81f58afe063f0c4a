import type { LogEntry } from "@meridian/local-stack";
import { SRC } from "../../tools/lib/project";
import { call } from "../support/json-call";
import { releaseTestStack, sharedTestStack, startTestStack, type TestStack } from "../support/local-stack";
import { copyServices, type ServiceCopy } from "../support/service-copy";

/*
 * The catalog lookup as the discovery design defines it, over HTTP through the local gateway:
 * CatalogApi's DefinitionBody sends GET /catalog/{service_name}/{service_version} through a
 * non-proxy Lambda integration (request template -> GetServiceFunction -> integration response
 * chosen by the error's errorMessage). tests/integration/catalog.test.ts keeps the wire format's
 * own assertions; this file shows the integration doing it, and its 400 and 500 paths.
 */

/** The gateway's access-log detail for the last request to `path`: which integration response answered. */
function answeredBy(stack: TestStack, path: string): string | undefined {
  const line = stack.logs.findLast(
    (entry: LogEntry) => entry.source === "gateway" && entry.message.startsWith(`GET ${path} `),
  );
  return (line?.fields as { detail?: string } | undefined)?.detail;
}

const mountOf = (stack: TestStack): string => new URL(stack.endpoints.catalog ?? "").pathname;

describe("the lookup through its non-proxy integration", () => {
  let stack: TestStack;

  // The worker's shared stack: the catalog's registrar run re-registers the catalog, as the
  // runSchedules calls of the other files sharing it do; lookups change nothing.
  beforeAll(async () => {
    stack = await sharedTestStack();
    await stack.runSchedules("catalog");
  }, 120_000);

  afterAll(() => releaseTestStack(stack));

  test("a registered service: 200, the function's result as the body, JSON", async () => {
    const reply = await call("GET", `${stack.endpoints.catalog}/catalog/catalog/v1`);
    expect(reply.status).toBe(200);
    expect(reply.text).toBe(
      JSON.stringify({ endpoint_url: stack.endpoints.catalog, ttl: 300, status: "healthy" }),
    );
    expect(reply.headers.get("content-type")).toBe("application/json");
    expect(answeredBy(stack, `${mountOf(stack)}/catalog/catalog/v1`)).toBe(
      "lambda -> integration response default",
    );
  });

  test("a miss: the function fails with NotFound and .*NotFound.* answers the legacy 404", async () => {
    const reply = await call("GET", `${stack.endpoints.catalog}/catalog/nobody/v1`);
    expect(reply.status).toBe(404);
    expect(reply.text).toBe('{"error_message":"Service Not Found"}');
    expect(reply.headers.get("content-type")).toBe("application/json");
    expect(answeredBy(stack, `${mountOf(stack)}/catalog/nobody/v1`)).toBe(
      "lambda-error -> integration response .*NotFound.*",
    );
  });

  test.each([
    ["an upper-case name", "Location/v1", "service_name"],
    ["a quote", "it's/v1", "service_name"],
    ["a double quote and a backslash", "%22%5C/v1", "service_name"],
    ["a NUL (refused by the gateway itself)", "%00/v1", undefined],
    ["an emoji", "%F0%9F%98%80/v1", "service_name"],
    ["VTL", "%23set(%24x%3D1)/v1", "service_name"],
    ["a 65-character name", `${"a".repeat(65)}/v1`, "service_name"],
    ["a 2000-character name", `${"a".repeat(2000)}/v1`, "service_name"],
    ["a reserved name", "register/v1", "service_name"],
    ["a version with a space", "location/v%201", "service_version"],
    ["a 33-character version", `location/${"v".repeat(33)}`, "service_version"],
  ])("%s: a 400 in the contract's shape, never a 500", async (_what, path, parameter) => {
    const reply = await call("GET", `${stack.endpoints.catalog}/catalog/${path}`);
    if (parameter === undefined) {
      expect(reply.status).toBe(400);
    } else {
      expect(reply.status).toBe(400);
      expect(reply.body).toStrictEqual({
        error: {
          code: "VALIDATION_ERROR",
          message: expect.stringContaining(`Path parameter '${parameter}'`),
        },
      });
    }
    expect(reply.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  });
});

describe("a lookup that fails", () => {
  let copy: ServiceCopy;
  let stack: TestStack;

  beforeAll(async () => {
    // A copy whose lookup function may no longer read its table: GetItem is refused with AWS's AccessDenied.
    copy = copyServices(SRC, {
      catalog: (template) => {
        const policies = template.Resources.GetServiceFunction?.Properties?.Policies as Array<{
          Statement: Array<{ Action: string[] }>;
        }>;
        const statement = policies[0]?.Statement[0];
        if (!statement?.Action.includes("dynamodb:GetItem")) throw new Error("expected the GetItem grant");
        statement.Action = ["dynamodb:PutItem"];
      },
    });
    stack = await startTestStack({ srcDir: copy.srcDir, services: ["catalog"], schedules: false });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    copy?.remove();
  });

  test("is a 500 in the contract's shape with no detail, never the 404", async () => {
    const reply = await call("GET", `${stack.endpoints.catalog}/catalog/location/v1`);
    expect(reply.status).toBe(500);
    expect(reply.text).toBe('{"error":{"code":"INTERNAL_ERROR","message":"Internal server error"}}');
    expect(answeredBy(stack, `${mountOf(stack)}/catalog/location/v1`)).toBe(
      "lambda-error -> integration response (?!.*NotFound)(?!BadRequest: ).+",
    );
    // DynamoDB's refusal is in the function's log, not in the answer.
    const logged = stack.logs.find(
      (entry) =>
        entry.source === "function" && entry.function === "GetServiceFunction" && entry.level === "ERROR",
    );
    expect(JSON.stringify(logged?.fields)).toMatch(/AccessDeniedException.*dynamodb:GetItem/);
  });
});
