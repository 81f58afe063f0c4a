import type { GatewayResponseDefinition } from "../template";

/**
 * Responses API Gateway produces itself (no route, denied, too large,
 * integration failed), rendered from the API's GatewayResponses templates
 * when it declares them, with API Gateway's default status codes.
 */

export type GatewayResponseType =
  | "ACCESS_DENIED"
  | "API_CONFIGURATION_ERROR"
  | "AUTHORIZER_CONFIGURATION_ERROR"
  | "AUTHORIZER_FAILURE"
  | "BAD_REQUEST_PARAMETERS"
  | "BAD_REQUEST_BODY"
  | "EXPIRED_TOKEN"
  | "INTEGRATION_FAILURE"
  | "INTEGRATION_TIMEOUT"
  | "INVALID_SIGNATURE"
  | "MISSING_AUTHENTICATION_TOKEN"
  | "REQUEST_TOO_LARGE"
  | "RESOURCE_NOT_FOUND"
  | "THROTTLED"
  | "UNAUTHORIZED"
  | "UNSUPPORTED_MEDIA_TYPE"
  /** Not an API Gateway type: the local stack's stopService(). */
  | "SERVICE_UNAVAILABLE";

const DEFAULT_STATUS: Record<GatewayResponseType, number> = {
  ACCESS_DENIED: 403,
  API_CONFIGURATION_ERROR: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  AUTHORIZER_FAILURE: 500,
  BAD_REQUEST_PARAMETERS: 400,
  BAD_REQUEST_BODY: 400,
  EXPIRED_TOKEN: 403,
  // API Gateway's documented default is 504; a failed Lambda proxy integration answers 502.
  INTEGRATION_FAILURE: 502,
  INTEGRATION_TIMEOUT: 504,
  INVALID_SIGNATURE: 403,
  MISSING_AUTHENTICATION_TOKEN: 403,
  REQUEST_TOO_LARGE: 413,
  RESOURCE_NOT_FOUND: 404,
  THROTTLED: 429,
  UNAUTHORIZED: 401,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SERVICE_UNAVAILABLE: 503,
};

const ERROR_TYPE: Partial<Record<GatewayResponseType, string>> = {
  ACCESS_DENIED: "AccessDeniedException",
  AUTHORIZER_CONFIGURATION_ERROR: "AuthorizerConfigurationException",
  AUTHORIZER_FAILURE: "AuthorizerConfigurationException",
  EXPIRED_TOKEN: "ExpiredTokenException",
  INTEGRATION_FAILURE: "InternalServerErrorException",
  INTEGRATION_TIMEOUT: "InternalServerErrorException",
  INVALID_SIGNATURE: "InvalidSignatureException",
  MISSING_AUTHENTICATION_TOKEN: "MissingAuthenticationTokenException",
  REQUEST_TOO_LARGE: "RequestEntityTooLargeException",
  UNAUTHORIZED: "UnauthorizedException",
  THROTTLED: "TooManyRequestsException",
  SERVICE_UNAVAILABLE: "ServiceUnavailableException",
};

export interface RenderedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RenderContext {
  requestId: string;
  resourcePath?: string;
  stage?: string;
  httpMethod?: string;
  /** Request headers (lower-case names), for `method.request.header.X` mappings. */
  requestHeaders?: Record<string, string>;
}

function responseHeaders(
  definition: GatewayResponseDefinition | undefined,
  context: RenderContext,
): Record<string, string> {
  const out: Record<string, string> = {};
  const parameters = definition?.ResponseParameters ?? {};
  // SAM's shape is {Headers: {Name: "'value'"}}; CloudFormation's is {"gatewayresponse.header.Name": "'value'"}.
  const entries: Array<[string, unknown]> = [
    ...Object.entries((parameters.Headers as Record<string, unknown> | undefined) ?? {}),
    ...Object.entries(parameters)
      .filter(([key]) => key.startsWith("gatewayresponse.header."))
      .map(([key, value]): [string, unknown] => [key.slice("gatewayresponse.header.".length), value]),
  ];
  for (const [name, value] of entries) {
    if (typeof value !== "string") continue;
    const literal = /^'(.*)'$/.exec(value);
    if (literal) out[name] = literal[1] ?? "";
    else if (value.startsWith("method.request.header.")) {
      const header = context.requestHeaders?.[value.slice("method.request.header.".length).toLowerCase()];
      if (header !== undefined) out[name] = header;
    }
  }
  return out;
}

/** The few `$context` variables gateway response templates use; no other VTL. */
function renderTemplate(
  template: string,
  type: GatewayResponseType,
  message: string,
  context: RenderContext,
): string {
  const values: Record<string, string> = {
    "$context.error.responseType": type,
    "$context.error.messageString": JSON.stringify(message),
    "$context.error.message": message,
    "$context.error.validationErrorString": "",
    "$context.requestId": context.requestId,
    "$context.extendedRequestId": context.requestId,
    "$context.resourcePath": context.resourcePath ?? "",
    "$context.stage": context.stage ?? "",
    "$context.httpMethod": context.httpMethod ?? "",
  };
  return template.replace(/\$(?:context\.[A-Za-z.]+|\{context\.[A-Za-z.]+\})/g, (match) => {
    const key = match.startsWith("${") ? `$${match.slice(2, -1)}` : match;
    // Longest known variable that prefixes the match (a template may run a `.` into the next text).
    const known = Object.keys(values)
      .filter((name) => key.startsWith(name))
      .sort((a, b) => b.length - a.length)[0];
    if (known === undefined) return "";
    return `${values[known]}${match.startsWith("${") ? "" : key.slice(known.length)}`;
  });
}

export function renderGatewayResponse(
  responses: Record<string, GatewayResponseDefinition> | undefined,
  type: GatewayResponseType,
  message: string,
  context: RenderContext,
  extraHeaders: Record<string, string> = {},
): RenderedResponse {
  const baseStatus = DEFAULT_STATUS[type];
  const specific = responses?.[type];
  const fallback = responses?.[baseStatus >= 500 ? "DEFAULT_5XX" : "DEFAULT_4XX"];
  const statusCode = specific?.StatusCode ?? fallback?.StatusCode;
  const status =
    statusCode !== undefined && Number.isInteger(Number(statusCode)) ? Number(statusCode) : baseStatus;
  const templates = specific?.ResponseTemplates ?? fallback?.ResponseTemplates;
  const template = templates?.["application/json"] ?? (templates ? Object.values(templates)[0] : undefined);
  const body =
    template === undefined ? JSON.stringify({ message }) : renderTemplate(template, type, message, context);
  return {
    status,
    headers: {
      "Content-Type": "application/json",
      "x-amzn-RequestId": context.requestId,
      ...(ERROR_TYPE[type] ? { "x-amzn-ErrorType": ERROR_TYPE[type] } : {}),
      ...extraHeaders,
      ...responseHeaders(fallback, context),
      ...responseHeaders(specific, context),
    },
    body,
  };
}
