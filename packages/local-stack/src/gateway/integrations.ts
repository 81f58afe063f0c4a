import type { FunctionRuntime } from "../runtime";
import type { IntegrationDefinition } from "../template";
import { buildProxyEvent, type HttpReply, readProxyResult } from "./api-event";
import { awsIntegration, type NonProxyContext } from "./non-proxy";
import { type AuthorizedRequest, gatewayReply, type Reply } from "./request";

/**
 * Stage 5: the route's integration, looked up by its type, calls the backend
 * and maps its answer (mapResponse), or answers with the gateway's own error.
 * A new integration type is one more entry in INTEGRATIONS.
 */

/** API Gateway's integration timeout. */
export const INTEGRATION_TIMEOUT_MS = 29_000;

export interface FunctionRegistry {
  byId(id: string): FunctionRuntime | undefined;
  byArn(arn: string): FunctionRuntime | undefined;
}

export interface IntegrationContext {
  accountId: string;
  functions: FunctionRegistry;
  nonProxy: NonProxyContext;
}

type Integrate<T extends IntegrationDefinition> = (
  request: AuthorizedRequest,
  integration: T,
  context: IntegrationContext,
) => Promise<Reply>;

const INTEGRATIONS: {
  [T in IntegrationDefinition["type"]]: Integrate<Extract<IntegrationDefinition, { type: T }>>;
} = {
  AWS_PROXY: lambdaProxy,
  AWS: awsIntegration,
};

export function integrate(request: AuthorizedRequest, context: IntegrationContext): Promise<Reply> {
  const { integration } = request.route;
  const run = INTEGRATIONS[integration.type] as Integrate<IntegrationDefinition>;
  return run(request, integration, context);
}

/** Lambda proxy (`AWS_PROXY`): the proxy event in, the proxy result out. */
async function lambdaProxy(
  request: AuthorizedRequest,
  integration: Extract<IntegrationDefinition, { type: "AWS_PROXY" }>,
  context: IntegrationContext,
): Promise<Reply> {
  const runtime = context.functions.byId(integration.functionId);
  if (!runtime) {
    return gatewayReply(
      request,
      "INTEGRATION_FAILURE",
      "Internal server error",
      `function ${integration.functionId} is not running`,
    );
  }
  const event = buildProxyEvent(request.proxyRequest, request.proxyRoute, {
    requestId: request.requestId,
    accountId: context.accountId,
    now: request.now,
    authorizer: request.authorizer,
    identity: request.identity,
  });
  const outcome = await runtime.invoke(event, {
    requestId: request.requestId,
    timeoutMs: INTEGRATION_TIMEOUT_MS,
  });
  if (!outcome.ok) {
    const gatewayTimedOut =
      outcome.kind === "timeout" && runtime.fn.timeoutSeconds * 1000 > INTEGRATION_TIMEOUT_MS;
    if (gatewayTimedOut) {
      return gatewayReply(
        request,
        "INTEGRATION_TIMEOUT",
        "Endpoint request timed out",
        "no answer within API Gateway's 29 s",
      );
    }
    // A Lambda error (thrown, timed out, crashed) reaches the client as a bare 502, as on AWS.
    return gatewayReply(
      request,
      "INTEGRATION_FAILURE",
      "Internal server error",
      `${outcome.kind}: ${outcome.error.errorType}: ${outcome.error.errorMessage}`,
    );
  }
  const result = readProxyResult(outcome.payload);
  return typeof result === "string"
    ? gatewayReply(request, "INTEGRATION_FAILURE", "Internal server error", result)
    : mapResponse(request, result);
}

/** Stage 6: the backend's answer as the client gets it, with API Gateway's own headers. */
function mapResponse(request: AuthorizedRequest, result: HttpReply): Reply {
  const { api, requestId } = request;
  return {
    status: result.status,
    headers: {
      ...result.headers,
      "x-amzn-RequestId": requestId,
      "x-amz-apigw-id": requestId.slice(0, 16),
      ...(api.cors ? { "Access-Control-Allow-Origin": api.cors.allowOrigin } : {}),
    },
    body: result.body,
    route: request.routeName,
  };
}
