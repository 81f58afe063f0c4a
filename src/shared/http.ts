import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  TooManyRequestsError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "./errors";
import {
  CORRELATION_HEADER,
  flushMetrics,
  isValidCorrelationId,
  type Observability,
  setCorrelationId,
} from "./observability";
import type * as z from "./schema";

const MAX_BODY_BYTES = 64 * 1024;

export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The caller as established by the token authorizer's context. */
export interface Principal {
  userId: string;
  username: string;
}

export interface HttpRequest {
  /** Parses the JSON body against one schema; the schema is also the type. */
  body<T>(schema: z.ZodMiniType<T>): T;
  pathParam<T>(name: string, schema: z.ZodMiniType<T>): T;
  header(name: string): string | undefined;
  /** The authorizer's principal; throws 401 when the route had none. */
  principal(): Principal;
  /** The TCP peer as API Gateway saw it: a client cannot choose it as it could a header. */
  sourceIp(): string | undefined;
  /** The SigV4 caller's ARN on an AWS_IAM route (an assumed-role ARN for a Lambda function). */
  callerArn(): string | undefined;
}

export type HttpRouteHandler = (request: HttpRequest) => Promise<HttpResult>;

const JSON_HEADERS = { "Content-Type": "application/json" };

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { status, body, headers };
}

function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

// biome-ignore lint/suspicious/noExplicitAny: matched with instanceof only; constructors differ.
type ErrorKind = abstract new (...args: any[]) => DomainError;

/**
 * The one table from domain errors to HTTP. A DependencyError is absent on
 * purpose: an outage is a plain 500 that says nothing about what is behind.
 */
const HTTP_ERRORS: ReadonlyArray<{
  kind: ErrorKind;
  status: number;
  headers?: (error: never) => Record<string, string>;
}> = [
  { kind: ValidationError, status: 400 },
  { kind: UnauthorizedError, status: 401 },
  { kind: ForbiddenError, status: 403 },
  { kind: NotFoundError, status: 404 },
  { kind: ConflictError, status: 409 },
  { kind: PreconditionFailedError, status: 412 },
  { kind: PayloadTooLargeError, status: 413 },
  { kind: UnsupportedMediaTypeError, status: 415 },
  {
    kind: TooManyRequestsError,
    status: 429,
    headers: (error: TooManyRequestsError) => ({
      "Retry-After": String(Math.max(1, Math.ceil(error.retryAfterSeconds))),
    }),
  },
];

/** The single place where errors become HTTP responses. */
export function errorToResult(error: unknown): HttpResult {
  const mapping = HTTP_ERRORS.find(({ kind }) => error instanceof kind);
  if (mapping && error instanceof DomainError) {
    return {
      status: mapping.status,
      body: errorBody(error.code, error.message),
      headers: mapping.headers?.(error as never) ?? {},
    };
  }
  return { status: 500, body: errorBody("INTERNAL_ERROR", "Internal server error") };
}

function describeZodError(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join(".") : "body";
      return `${where}: ${issue.message}`;
    })
    .join("; ");
}

function findHeader(headers: APIGatewayProxyEvent["headers"] | null, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

function rawBody(event: APIGatewayProxyEvent): string | undefined {
  if (event.body === null || event.body === undefined || event.body === "") return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  if (Buffer.byteLength(text, "utf8") > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(
      `Request body is larger than this API's ${MAX_BODY_BYTES / 1024} KiB limit`,
    );
  }
  return text;
}

function requestFrom(event: APIGatewayProxyEvent): HttpRequest {
  return {
    body<T>(schema: z.ZodMiniType<T>): T {
      const contentType = findHeader(event.headers, "content-type");
      if (contentType !== undefined && !/^application\/([\w.+-]+\+)?json\b/i.test(contentType.trim())) {
        throw new UnsupportedMediaTypeError("Content-Type must be application/json");
      }
      const text = rawBody(event);
      if (text === undefined) throw new ValidationError("Request body is required");
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ValidationError("Request body is not valid JSON", "INVALID_JSON");
      }
      const result = schema.safeParse(parsed);
      if (!result.success) throw new ValidationError(describeZodError(result.error));
      return result.data;
    },
    pathParam<T>(name: string, schema: z.ZodMiniType<T>): T {
      const value = event.pathParameters?.[name];
      const result = schema.safeParse(value);
      if (!result.success) {
        throw new ValidationError(
          `Path parameter '${name}': ${result.error.issues[0]?.message ?? "invalid"}`,
        );
      }
      return result.data;
    },
    header(name: string): string | undefined {
      return findHeader(event.headers, name);
    },
    principal(): Principal {
      const context = event.requestContext?.authorizer;
      const userId = context?.userId;
      const username = context?.username;
      if (typeof userId !== "string" || typeof username !== "string") {
        throw new UnauthorizedError("Missing or invalid token");
      }
      return { userId, username };
    },
    sourceIp(): string | undefined {
      return event.requestContext?.identity?.sourceIp ?? undefined;
    },
    callerArn(): string | undefined {
      return event.requestContext?.identity?.userArn ?? undefined;
    },
  };
}

/** Owner-only routes: the token's user must be the path's user. */
export function requireOwner(principal: Principal, userId: string): void {
  if (principal.userId !== userId) throw new ForbiddenError("You may only change your own resources");
}

/**
 * Wraps a route: correlation id, Lambda context in logs, cold-start metric,
 * error mapping and metric flushing. Handlers stay thin: parse, call the
 * domain, return a result.
 */
export function httpHandler({ logger, metrics }: Observability, route: HttpRouteHandler) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    // A caller's id (another Meridian service propagating its own) wins, so
    // one request can be followed across services' logs.
    const incoming = findHeader(event.headers, CORRELATION_HEADER);
    const correlationId = isValidCorrelationId(incoming)
      ? incoming
      : (event.requestContext?.requestId ?? randomUUID());
    logger.addContext(context);
    logger.appendKeys({ correlationId });
    setCorrelationId(correlationId);
    metrics.captureColdStartMetric();
    let result: HttpResult;
    try {
      result = await route(requestFrom(event));
    } catch (error) {
      result = errorToResult(error);
      if (result.status >= 500) {
        logger.error("Unhandled error", error as Error);
      } else {
        logger.info("Request rejected", { status: result.status, code: (error as DomainError).code });
      }
    } finally {
      flushMetrics(metrics);
    }
    logger.info("Request completed", {
      method: event.httpMethod,
      resource: event.resource,
      status: result.status,
    });
    logger.resetKeys();
    setCorrelationId(undefined);
    return {
      statusCode: result.status,
      headers: { ...JSON_HEADERS, [CORRELATION_HEADER]: correlationId, ...result.headers },
      body: result.body === undefined ? "" : JSON.stringify(result.body),
    };
  };
}
