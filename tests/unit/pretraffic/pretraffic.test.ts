import { createPreTrafficHook } from "../../../src/pretraffic/domain/hook";
import type { HookPorts } from "../../../src/pretraffic/domain/ports";
import { judge, parseSmokeRequests, type SmokeKind, smokeEvent } from "../../../src/pretraffic/domain/smoke";

/** The pre-traffic hook's verdicts: a version that refuses the smoke request cleanly is healthy, anything else stops the deployment. */
function ports(overrides: Partial<HookPorts> = {}): HookPorts & { reports: string[]; invoked: unknown[] } {
  const reports: string[] = [];
  const invoked: unknown[] = [];
  return {
    reports,
    invoked,
    target: async () => ({ functionName: "meridian-dev-auth-login", targetVersion: "7" }),
    invoke: async (name, version, event) => {
      invoked.push({ name, version, event });
      return { payload: { statusCode: 400, body: "{}" } };
    },
    report: async (_deployment, _execution, status) => {
      reports.push(status);
    },
    ...overrides,
  };
}

const kinds = new Map<string, SmokeKind>([["meridian-dev-auth-login", "api"]]);

test("the new version (not $LATEST or the alias) gets the smoke request; a 4xx is Succeeded", async () => {
  const fake = ports();
  const outcome = await createPreTrafficHook({ ports: fake, kinds }).run("d-ABCDEF123", "exec-1");
  expect(fake.invoked).toEqual([{ name: "meridian-dev-auth-login", version: "7", event: smokeEvent("api") }]);
  expect(outcome).toMatchObject({ healthy: true, version: "7" });
  expect(fake.reports).toEqual(["Succeeded"]);
});

test.each<[string, Partial<HookPorts>]>([
  ["a 5xx", { invoke: async () => ({ payload: { statusCode: 502 } }) }],
  ["a crash", { invoke: async () => ({ functionError: "Unhandled", payload: { errorMessage: "boom" } }) }],
  [
    "a function the hook has no smoke request for",
    { target: async () => ({ functionName: "other", targetVersion: "1" }) },
  ],
  ["CodeDeploy's target unreadable", { target: async () => Promise.reject(new Error("AccessDenied")) }],
])("%s is Failed", async (_what, overrides) => {
  const fake = ports(overrides);
  const outcome = await createPreTrafficHook({ ports: fake, kinds }).run("d-ABCDEF123", "exec-1");
  expect(outcome.healthy).toBe(false);
  expect(fake.reports).toEqual(["Failed"]);
});

test("an authorizer is healthy only when it refuses the invalid token with exactly Unauthorized", () => {
  expect(
    judge("authorizer", { functionError: "Unhandled", payload: { errorMessage: "Unauthorized" } }).healthy,
  ).toBe(true);
  expect(
    judge("authorizer", { functionError: "Unhandled", payload: { errorMessage: "Authorizer failed" } })
      .healthy,
  ).toBe(false);
  expect(judge("authorizer", { payload: { policyDocument: {} } }).healthy).toBe(false);
});

test("a scheduled function is healthy when it runs without error", () => {
  expect(judge("schedule", { payload: null }).healthy).toBe(true);
  expect(judge("schedule", { functionError: "Unhandled", payload: { errorMessage: "x" } }).healthy).toBe(
    false,
  );
});

test("SMOKE_REQUESTS must name a known kind for every function", () => {
  expect(parseSmokeRequests('{"a":"api","b":"schedule"}')).toEqual(
    new Map([
      ["a", "api"],
      ["b", "schedule"],
    ]),
  );
  expect(() => parseSmokeRequests('{"a":"http"}')).toThrow(
    "'http' is not one of api, authorizer, schedule, non-proxy",
  );
  expect(() => parseSmokeRequests("[]")).toThrow("must be a JSON object");
});

test("a function behind a non-proxy integration is healthy only when it refuses the empty event as BadRequest", () => {
  expect(smokeEvent("non-proxy")).toEqual({});
  const refused = { functionError: "Unhandled", payload: { errorMessage: "BadRequest: The lookup needs x" } };
  expect(judge("non-proxy", refused).healthy).toBe(true);
  expect(
    judge("non-proxy", { functionError: "Unhandled", payload: { errorMessage: "InternalFailure" } }),
  ).toEqual({
    healthy: false,
    detail: "expected BadRequest, got InternalFailure",
  });
  expect(judge("non-proxy", { payload: { endpoint_url: "https://x" } }).healthy).toBe(false);
});
