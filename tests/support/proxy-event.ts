import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";

/** What every API handler is: API Gateway's proxy integration calling a Lambda function. */
export type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** API Gateway's id for the request, which handlers use as the correlation id when none comes in. */
export const API_REQUEST_ID = "api-request-1";

export interface ProxyEventOptions {
  method: string;
  /** The route as the template declares it, e.g. `/locations/{userId}`. */
  resource: string;
  pathParameters?: Record<string, string>;
  /** A string is sent as it is (so a test can send malformed JSON); anything else as JSON; null: no body. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The token authorizer's context; absent for public and IAM routes. */
  principal?: { userId: string; username: string };
  /** requestContext.identity.sourceIp; 192.0.2.1 unless given. */
  sourceIp?: string;
}

/** The event API Gateway's proxy integration passes a handler, with only what the handlers read filled in. */
export function proxyEvent(options: ProxyEventOptions): APIGatewayProxyEvent {
  const path = Object.entries(options.pathParameters ?? {}).reduce(
    (acc, [name, value]) => acc.replace(`{${name}}`, value),
    options.resource,
  );
  return {
    httpMethod: options.method,
    resource: options.resource,
    path,
    pathParameters: options.pathParameters ?? null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    headers: { "Content-Type": "application/json", ...options.headers },
    multiValueHeaders: {},
    isBase64Encoded: false,
    body:
      options.body === undefined || options.body === null
        ? null
        : typeof options.body === "string"
          ? options.body
          : JSON.stringify(options.body),
    requestContext: {
      requestId: API_REQUEST_ID,
      // Documentation range (RFC 5737): the caller's address as API Gateway sees it.
      identity: { sourceIp: options.sourceIp ?? "192.0.2.1" },
      authorizer: options.principal
        ? { ...options.principal, principalId: options.principal.userId }
        : undefined,
    } as unknown as APIGatewayProxyEvent["requestContext"],
  };
}

export function lambdaContext(functionName: string): Context {
  return {
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: `${functionName}-request`,
    logGroupName: `/meridian/test/${functionName}`,
    logStreamName: "stream",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A sample event of events/ (what `sam local invoke` sends), e.g. `PutLocationFunction`. */
export function sampleEvent(name: string): APIGatewayProxyEvent {
  return JSON.parse(readFileSync(join(__dirname, "..", "..", "events", `${name}.json`), "utf8"));
}
