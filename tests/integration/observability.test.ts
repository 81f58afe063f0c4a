import { randomUUID } from "node:crypto";
import { poll } from "../../tools/lib/cli";
import { jsonRequest } from "../support/json-call";
import { releaseTestStack, sharedTestStack, type TestStack } from "../support/local-stack";

/*
 * The unit tests build each handler's Logger and Metrics themselves; this is
 * the deployed composition: the exported `handler`, run by the local stack
 * with its template's variables, builds them from POWERTOOLS_* on its first
 * invocation and writes what CloudWatch Logs would receive.
 */

let stack: TestStack;

beforeAll(async () => {
  stack = await sharedTestStack();
}, 120_000);

afterAll(() => releaseTestStack(stack));

const PASSWORD = "correct horse battery staple";

/** Every JSON line PutLocationFunction wrote, as it wrote it. */
function putLocationLines(): Array<Record<string, unknown>> {
  return stack.logs.flatMap((entry) => {
    if (entry.source !== "function" || entry.function !== "PutLocationFunction" || !entry.raw) return [];
    try {
      return [JSON.parse(entry.raw) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

test("PUT /locations: the function logs and emits EMF under its template's service name and namespace", async () => {
  const username = `obs-${randomUUID().slice(0, 8)}`;
  const registered = await jsonRequest("POST", `${stack.endpoints.auth}/users`, {
    username,
    password: PASSWORD,
  });
  expect(registered.status).toBe(201);
  const login = await jsonRequest("POST", `${stack.endpoints.auth}/tokens`, { username, password: PASSWORD });
  expect(login.status).toBe(201);
  const correlationId = `trace-${randomUUID()}`;

  const put = await jsonRequest(
    "PUT",
    `${stack.endpoints.location}/locations/${registered.body.userId}`,
    { latitude: 1.5, longitude: 2.5 },
    { Authorization: `Bearer ${login.body.token}`, "X-Correlation-Id": correlationId },
  );

  expect(put.status).toBe(200);
  // The function's stdout reaches the stack's log after its response may have: wait for its last line.
  const lines = await poll("PutLocationFunction's last log line", async () => {
    const written = putLocationLines();
    return written.some(
      (line) => line.correlationId === correlationId && line.message === "Request completed",
    )
      ? written
      : undefined;
  });
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: "INFO",
      message: "Request completed",
      service: "location",
      status: 200,
      correlationId,
      function_name: expect.stringContaining("PutLocationFunction"),
      cold_start: expect.any(Boolean),
    }),
  );
  const published = lines.filter((line) => "_aws" in line && "LocationUpdated" in line);
  expect(published).toHaveLength(1);
  expect(published[0]).toMatchObject({
    service: "location",
    LocationUpdated: 1,
    _aws: {
      CloudWatchMetrics: [
        {
          Namespace: `Meridian/${stack.environment}`,
          Dimensions: [["service"]],
          Metrics: [{ Name: "LocationUpdated", Unit: "Count" }],
        },
      ],
    },
  });
});
