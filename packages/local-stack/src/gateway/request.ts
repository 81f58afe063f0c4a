import type { IncomingMessage } from "node:http";
import type { ApiDefinition, RouteDefinition } from "../template";
import type { ProxyIdentity, ProxyRequest, ProxyRoute } from "./api-event";
import { type GatewayResponseType, renderGatewayResponse } from "./responses";

/**
 * What a request carries from one stage of the gateway to the next. Each
 * stage (see gateway.ts) takes the previous stage's request and returns the
 * next one, or a Reply that ends the request there.
 */

export interface Reply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer | string;
  /** Why the gateway answered this itself; shown in the access log. */
  detail?: string;
  route?: string;
}

/** The request target, parsed and checked. */
export interface TargetRequest {
  request: IncomingMessage;
  requestId: string;
  method: string;
  /** As sent (percent-encoded), without the query. */
  rawPath: string;
  rawQuery: string;
  rawSegments: string[];
  /** Decoded path segments. */
  segments: string[];
  /** Lower-case names; repeated headers joined with commas. */
  headers: Record<string, string>;
}

/** An API and a route of it matched the request. */
export interface RoutedRequest extends TargetRequest {
  api: ApiDefinition;
  route: RouteDefinition;
  /** `GET /profiles/{userId}`, as the access log names it. */
  routeName: string;
  /** Below the API's mount, as sent: what the method ARN and the proxy event's path hold. */
  path: string;
  proxyRoute: ProxyRoute;
}

/** The body has been read. */
export interface LoadedRequest extends RoutedRequest {
  proxyRequest: ProxyRequest;
  body: Buffer;
  sourceIp: string;
  methodArn: string;
  now: Date;
}

/** Authorization let the request through, saying who called. */
export interface AuthorizedRequest extends LoadedRequest {
  /** A Lambda authorizer's context (with principalId), for requestContext.authorizer. */
  authorizer?: Record<string, unknown>;
  /** An IAM caller, for requestContext.identity. */
  identity?: ProxyIdentity;
}

export function isReply(value: object): value is Reply {
  return "status" in value;
}

/** One of the API's GatewayResponses, naming the route once one matched. */
export function gatewayReply(
  request: TargetRequest & { api: ApiDefinition; routeName?: string },
  type: GatewayResponseType,
  message: string,
  detail: string,
  extra: Record<string, string> = {},
): Reply {
  const rendered = renderGatewayResponse(
    request.api.gatewayResponses,
    type,
    message,
    {
      requestId: request.requestId,
      stage: request.api.stage,
      httpMethod: request.method,
      requestHeaders: request.headers,
    },
    extra,
  );
  return { ...rendered, detail, ...(request.routeName ? { route: request.routeName } : {}) };
}

/** The gateway's own JSON error, for requests no API claims. */
export function jsonReply(status: number, code: string, message: string, requestId: string): Reply {
  return {
    status,
    headers: { "Content-Type": "application/json", "x-amzn-RequestId": requestId },
    body: JSON.stringify({ error: { code, message } }),
    detail: message,
  };
}

/** Discards a body we will not read, so the connection can carry the response. */
export function drain(request: IncomingMessage): void {
  if (!request.complete) request.resume();
}
