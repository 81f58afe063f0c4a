import type { AwsIntegration } from "../../template";
import { type AuthorizedRequest, gatewayReply, type Reply } from "../request";
import type { CompiledIntegration } from "./compile";
import { type IntegrationBackends, runNonProxy } from "./run";
import { integrationRequest } from "./serve";

/** What the `AWS` integration stage needs: the API's compiled templates and the backends to call. */
export interface NonProxyContext {
  compiled(integration: AwsIntegration): CompiledIntegration | undefined;
  backends: IntegrationBackends;
}

/** `AWS` (non-proxy): mapping templates around a Lambda function or an AWS service action. */
export async function awsIntegration(
  request: AuthorizedRequest,
  integration: AwsIntegration,
  context: { accountId: string; nonProxy: NonProxyContext },
): Promise<Reply> {
  const compiled = context.nonProxy.compiled(integration);
  if (!compiled) {
    return gatewayReply(
      request,
      "API_CONFIGURATION_ERROR",
      "Internal server error",
      "integration not compiled",
    );
  }
  const { api } = request;
  const reply = await runNonProxy(
    compiled,
    integrationRequest({
      facts: {
        requestId: request.requestId,
        requestTime: request.now,
        accountId: context.accountId,
        apiId: api.apiId,
        stage: api.stage,
        httpMethod: request.method,
        resourcePath: request.proxyRoute.resourcePath,
        path: request.path,
        sourceIp: request.sourceIp,
        ...(request.headers["user-agent"] ? { userAgent: request.headers["user-agent"] } : {}),
        ...(request.authorizer ? { authorizer: request.authorizer } : {}),
      },
      pathParameters: request.proxyRoute.pathParameters,
      rawQuery: request.rawQuery,
      rawHeaders: request.request.rawHeaders,
      body: request.body,
      stageVariables: api.stageVariables,
    }),
    context.nonProxy.backends,
  );
  if (reply.kind === "gateway-response")
    return gatewayReply(request, reply.type, reply.message, reply.detail);
  return {
    status: reply.status,
    headers: {
      ...reply.headers,
      "x-amzn-RequestId": request.requestId,
      ...(api.cors ? { "Access-Control-Allow-Origin": api.cors.allowOrigin } : {}),
    },
    body: reply.body,
    ...(reply.detail ? { detail: reply.detail } : {}),
    route: request.routeName,
  };
}
