/** What API Gateway knows about a request, for `$context`. */
export interface RequestFacts {
  requestId: string;
  /** Milliseconds since the epoch. */
  requestTime: Date;
  accountId: string;
  apiId: string;
  stage: string;
  httpMethod: string;
  /** The resource as declared: `/profiles/{userId}/comments`. */
  resourcePath: string;
  /** The request path under the stage: `/profiles/u1/comments`. */
  path: string;
  sourceIp: string;
  userAgent?: string;
  /** The Lambda authorizer's principalId and context, if the route has one. */
  authorizer?: Record<string, unknown>;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** CLF, as `$context.requestTime`: `01/Dec/2026:09:45:32 +0000`. */
function clfTime(time: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(time.getUTCDate())}/${MONTHS[time.getUTCMonth()]}/${time.getUTCFullYear()}:${two(time.getUTCHours())}:${two(time.getUTCMinutes())}:${two(time.getUTCSeconds())} +0000`;
}

/**
 * `$context` for mapping templates. Authorizer context values are stringified, as API Gateway
 * documents (`1` becomes "1", `true` becomes "true").
 */
export function templateContext(facts: RequestFacts): Record<string, unknown> {
  const authorizer: Record<string, string> = {};
  for (const [key, value] of Object.entries(facts.authorizer ?? {})) {
    if (value !== undefined && value !== null) authorizer[key] = String(value);
  }
  return {
    requestId: facts.requestId,
    extendedRequestId: facts.requestId,
    requestTimeEpoch: facts.requestTime.getTime(),
    requestTime: clfTime(facts.requestTime),
    accountId: facts.accountId,
    apiId: facts.apiId,
    stage: facts.stage,
    httpMethod: facts.httpMethod,
    resourcePath: facts.resourcePath,
    path: `/${facts.stage}${facts.path}`,
    protocol: "HTTP/1.1",
    identity: {
      sourceIp: facts.sourceIp,
      userAgent: facts.userAgent ?? null,
      accountId: null,
      apiKey: null,
      caller: null,
      user: null,
      userArn: null,
    },
    authorizer: facts.authorizer ? authorizer : null,
  };
}
