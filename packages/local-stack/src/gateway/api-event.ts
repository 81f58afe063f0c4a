import type { APIGatewayProxyEvent } from "aws-lambda";
import type { FunctionCaller } from "../iam";

/**
 * The REST API (v1) Lambda proxy event API Gateway sends, and the reading of
 * the proxy result it expects back.
 */

export interface ProxyRequest {
  method: string;
  /** Path below the API's mount, as received (percent-encoded), e.g. `/locations/u%201`. */
  path: string;
  rawQuery: string;
  /** Node's rawHeaders: name, value, name, value... with the client's casing. */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  host: string;
}

export interface ProxyRoute {
  resourcePath: string;
  pathParameters: Record<string, string>;
  apiId: string;
  stage: string;
  binaryMediaTypes: string[];
  /** The stage's variables; the event carries null when it has none, as API Gateway sends it. */
  stageVariables?: Record<string, string>;
}

export interface ProxyIdentity {
  accessKey?: string;
  caller?: string;
  user?: string;
  userArn?: string;
  accountId?: string;
}

const TEXT_TYPES = [
  /^text\//i,
  /^application\/(json|xml|javascript|x-www-form-urlencoded|graphql|yaml|x-yaml)\b/i,
  /^application\/[\w.+-]+\+(json|xml)\b/i,
];

function mediaTypeMatches(pattern: string, contentType: string): boolean {
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  const wanted = pattern.toLowerCase();
  if (wanted === "*/*") return true;
  if (wanted.endsWith("/*")) return type.startsWith(wanted.slice(0, -1));
  return type === wanted;
}

/** Whether API Gateway would hand the body to Lambda base64-encoded. */
export function isBinaryBody(contentType: string | undefined, binaryMediaTypes: string[]): boolean {
  if (contentType === undefined || contentType === "") return false;
  if (binaryMediaTypes.some((pattern) => mediaTypeMatches(pattern, contentType))) return true;
  return !TEXT_TYPES.some((pattern) => pattern.test(contentType.trim()));
}

function headerMaps(rawHeaders: string[]): {
  headers: Record<string, string>;
  multi: Record<string, string[]>;
} {
  const headers: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index] ?? "";
    const value = rawHeaders[index + 1] ?? "";
    // API Gateway keeps the client's casing; a header sent twice keeps the last value in `headers`.
    const existing = Object.keys(multi).find((key) => key.toLowerCase() === name.toLowerCase()) ?? name;
    multi[existing] = [...(multi[existing] ?? []), value];
    headers[existing] = value;
  }
  return { headers, multi };
}

function queryMaps(rawQuery: string): {
  single: Record<string, string> | null;
  multi: Record<string, string[]> | null;
} {
  if (rawQuery === "") return { single: null, multi: null };
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    single[key] = value;
    multi[key] = [...(multi[key] ?? []), value];
  }
  return Object.keys(single).length === 0 ? { single: null, multi: null } : { single, multi };
}

function requestTime(date: Date): string {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pad = (value: number): string => String(value).padStart(2, "0");
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

export interface EventContext {
  requestId: string;
  accountId: string;
  now: Date;
  authorizer?: Record<string, unknown>;
  identity?: ProxyIdentity;
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  return Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** The request's headers as the event carries them, with those API Gateway adds when the client did not. */
function eventHeaders(request: ProxyRequest, context: EventContext): ReturnType<typeof headerMaps> {
  const { headers, multi } = headerMaps(request.rawHeaders);
  const add = (name: string, value: string): void => {
    if (Object.keys(headers).some((key) => key.toLowerCase() === name.toLowerCase())) return;
    headers[name] = value;
    multi[name] = [value];
  };
  add("X-Forwarded-For", request.sourceIp);
  add("X-Forwarded-Proto", "http");
  add("X-Forwarded-Port", request.host.split(":")[1] ?? "80");
  add(
    "X-Amzn-Trace-Id",
    `Root=1-${Math.floor(context.now.getTime() / 1000).toString(16)}-${context.requestId.replaceAll("-", "").slice(0, 24)}`,
  );
  return { headers, multi };
}

export function buildProxyEvent(
  request: ProxyRequest,
  route: ProxyRoute,
  context: EventContext,
): APIGatewayProxyEvent {
  const { headers, multi } = eventHeaders(request, context);
  const query = queryMaps(request.rawQuery);
  const binary =
    request.body.length > 0 && isBinaryBody(headerValue(headers, "content-type"), route.binaryMediaTypes);
  const hasParams = Object.keys(route.pathParameters).length > 0;
  return {
    resource: route.resourcePath,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: multi,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: hasParams ? route.pathParameters : null,
    stageVariables:
      route.stageVariables && Object.keys(route.stageVariables).length > 0
        ? { ...route.stageVariables }
        : null,
    requestContext: requestContext(request, route, context, headerValue(headers, "user-agent")),
    body: request.body.length === 0 ? null : request.body.toString(binary ? "base64" : "utf8"),
    isBase64Encoded: binary,
  } as APIGatewayProxyEvent;
}

function requestContext(
  request: ProxyRequest,
  route: ProxyRoute,
  context: EventContext,
  userAgent: string | undefined,
): APIGatewayProxyEvent["requestContext"] {
  const identity = context.identity ?? {};
  return {
    accountId: context.accountId,
    apiId: route.apiId,
    authorizer: context.authorizer ?? undefined,
    protocol: "HTTP/1.1",
    httpMethod: request.method,
    path: `/${route.stage}${request.path}`,
    stage: route.stage,
    requestId: context.requestId,
    extendedRequestId: context.requestId,
    requestTime: requestTime(context.now),
    requestTimeEpoch: context.now.getTime(),
    resourceId:
      route.resourcePath === "/"
        ? "root"
        : route.resourcePath
            .replace(/[^a-z0-9]/gi, "")
            .slice(0, 10)
            .toLowerCase(),
    resourcePath: route.resourcePath,
    domainName: request.host,
    domainPrefix: request.host.split(".")[0] ?? request.host,
    identity: {
      accessKey: identity.accessKey ?? null,
      accountId: identity.accountId ?? null,
      apiKey: null,
      apiKeyId: null,
      caller: identity.caller ?? null,
      clientCert: null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      sourceIp: request.sourceIp,
      user: identity.user ?? null,
      userAgent: userAgent ?? null,
      userArn: identity.userArn ?? null,
    },
  } as APIGatewayProxyEvent["requestContext"];
}

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** Reads a proxy result; a string when it is malformed (API Gateway then answers 502). */
export function readProxyResult(payload: unknown): HttpReply | string {
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) {
    return "Malformed Lambda proxy response: not an object";
  }
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = payload as Record<
    string,
    unknown
  >;
  const status = typeof statusCode === "string" ? Number(statusCode) : statusCode;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) {
    return "Malformed Lambda proxy response: statusCode must be an integer from 100 to 599";
  }
  if (body !== undefined && body !== null && typeof body !== "string") {
    return "Malformed Lambda proxy response: body must be a string";
  }
  const out: Record<string, string | string[]> = {};
  const scalar = (value: unknown): string | undefined =>
    typeof value === "string"
      ? value
      : typeof value === "number" || typeof value === "boolean"
        ? String(value)
        : undefined;
  if (multiValueHeaders && typeof multiValueHeaders === "object") {
    for (const [name, values] of Object.entries(multiValueHeaders)) {
      if (!Array.isArray(values))
        return `Malformed Lambda proxy response: multiValueHeaders.${name} must be a list`;
      out[name] = values.map(scalar).filter((value): value is string => value !== undefined);
    }
  }
  if (headers && typeof headers === "object") {
    for (const [name, value] of Object.entries(headers)) {
      const text = scalar(value);
      if (text === undefined) return `Malformed Lambda proxy response: headers.${name} must be a string`;
      // headers wins over multiValueHeaders for the same name, as in API Gateway.
      out[name] = text;
    }
  }
  const text = typeof body === "string" ? body : "";
  return {
    status,
    headers: out,
    body: isBase64Encoded === true ? Buffer.from(text, "base64") : Buffer.from(text, "utf8"),
  };
}

/** How the proxy event's requestContext.identity shows an assumed-role caller. */
export function proxyIdentity(caller: FunctionCaller): ProxyIdentity {
  return {
    accessKey: caller.credentials.accessKeyId,
    accountId: caller.accountId,
    caller: caller.userId,
    user: caller.userId,
    userArn: caller.sessionArn,
  };
}
