import type { Invocation } from "./ports";
/**
 * The smoke request a pre-traffic hook sends a function's new version before
 * CodeDeploy shifts any traffic to it, and how its answer is judged. A smoke
 * request is one a healthy version refuses cleanly (a 4xx, an Unauthorized):
 * it proves the bundle loads, its configuration validates at cold start and
 * it answers, without writing anything.
 */
export type SmokeKind = "api" | "authorizer" | "schedule" | "non-proxy";

const SMOKE_KINDS: readonly SmokeKind[] = ["api", "authorizer", "schedule", "non-proxy"];

export interface Verdict {
  healthy: boolean;
  detail: string;
}

/** Marks every smoke request, so its log lines are recognisable and never mistaken for a user's. */
const SMOKE_REQUEST_ID = "meridian-pretraffic";

export function smokeEvent(kind: SmokeKind): unknown {
  switch (kind) {
    case "api":
      // No body, no path parameters, no authorizer context: every route answers this with a 4xx.
      return {
        resource: "/meridian-pretraffic",
        path: "/meridian-pretraffic",
        httpMethod: "GET",
        headers: { "user-agent": SMOKE_REQUEST_ID },
        multiValueHeaders: {},
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        pathParameters: null,
        stageVariables: null,
        body: null,
        isBase64Encoded: false,
        requestContext: {
          requestId: SMOKE_REQUEST_ID,
          stage: "pretraffic",
          httpMethod: "GET",
          path: "/meridian-pretraffic",
          resourcePath: "/meridian-pretraffic",
          identity: { sourceIp: "127.0.0.1", userAgent: SMOKE_REQUEST_ID },
        },
      };
    case "non-proxy":
      // Behind a non-proxy integration the event is what a request template built; an empty one
      // is refused as "BadRequest: ..." (src/shared/integration.ts), the 400 of its integration.
      return {};
    case "authorizer":
      return {
        type: "TOKEN",
        authorizationToken: "Bearer meridian-pretraffic.not-a-token",
        methodArn: "arn:aws:execute-api:us-east-1:000000000000:pretraffic/pretraffic/GET/meridian-pretraffic",
      };
    case "schedule":
      return {
        version: "0",
        id: SMOKE_REQUEST_ID,
        "detail-type": "Scheduled Event",
        source: "aws.events",
        time: new Date(0).toISOString(),
        resources: [],
        detail: {},
      };
  }
}

function errorMessage(payload: unknown): string {
  if (payload !== null && typeof payload === "object" && "errorMessage" in payload) {
    return String((payload as { errorMessage: unknown }).errorMessage);
  }
  return JSON.stringify(payload)?.slice(0, 200) ?? "no payload";
}

export function judge(kind: SmokeKind, invocation: Invocation): Verdict {
  const failed = invocation.functionError !== undefined;
  if (kind === "authorizer") {
    // API Gateway's contract: exactly "Unauthorized" is a 401; anything else is an outage.
    const message = failed ? errorMessage(invocation.payload) : "an Allow for an invalid token";
    return failed && message === "Unauthorized"
      ? { healthy: true, detail: "refused the invalid token (Unauthorized)" }
      : { healthy: false, detail: `expected Unauthorized, got ${message}` };
  }
  if (kind === "non-proxy") {
    const message = failed ? errorMessage(invocation.payload) : "an answer to an empty event";
    return message.startsWith("BadRequest: ")
      ? { healthy: true, detail: "refused the empty event (BadRequest)" }
      : { healthy: false, detail: `expected BadRequest, got ${message}` };
  }
  if (failed) return { healthy: false, detail: `threw: ${errorMessage(invocation.payload)}` };
  if (kind === "schedule") return { healthy: true, detail: "ran without error" };
  const status = (invocation.payload as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status !== "number") return { healthy: false, detail: "answered without a statusCode" };
  return status < 500
    ? { healthy: true, detail: `answered ${status}` }
    : { healthy: false, detail: `answered ${status}` };
}

/** `SMOKE_REQUESTS`: `{"<function name>": "<kind>"}`, one entry per function the hook guards. */
export function parseSmokeRequests(text: string): Map<string, SmokeKind> {
  const parsed = JSON.parse(text) as unknown;
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error("Invalid configuration: SMOKE_REQUESTS must be a JSON object");
  }
  const kinds = new Map<string, SmokeKind>();
  for (const [name, kind] of Object.entries(parsed)) {
    if (!SMOKE_KINDS.includes(kind as SmokeKind)) {
      throw new Error(
        `Invalid configuration: SMOKE_REQUESTS.${name}: '${String(kind)}' is not one of ${SMOKE_KINDS.join(", ")}`,
      );
    }
    kinds.set(name, kind as SmokeKind);
  }
  return kinds;
}
