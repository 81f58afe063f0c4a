import { missingParameters } from "../models/request-model";
import {
  BodyNotJson,
  GatewayInput,
  type MappingTemplate,
  type RequestFacts,
  type RequestParameters,
  TemplateRuntimeError,
  templateContext,
} from "../vtl";
import type { CompiledIntegration, CompiledResponse } from "./compile";

/**
 * One request through a non-proxy integration, in API Gateway's order: parameter and body
 * validation, the request template (chosen by content type, with the passthrough behavior),
 * the backend call, the integration response chosen by selectionPattern (a Lambda error's
 * errorMessage, an AWS service's HTTP status), its response template with
 * `$context.responseOverride`, and its responseParameters.
 */

export interface IntegrationRequest {
  facts: RequestFacts;
  parameters: RequestParameters;
  body: string;
  /** The request's Content-Type, lower case, without parameters; API Gateway assumes JSON without one. */
  contentType: string;
  stageVariables: Record<string, string>;
}

export type BackendAnswer =
  /** An AWS service's HTTP answer. */
  | { kind: "http"; status: number; headers: Record<string, string>; body: string }
  /** A Lambda function's result. */
  | { kind: "lambda"; payload: unknown }
  /** A Lambda function's error (thrown, timed out, crashed): matched by its errorMessage. */
  | { kind: "lambda-error"; errorMessage: string; errorType: string };

export interface IntegrationBackends {
  call(
    integration: CompiledIntegration,
    requestBody: string,
    request: IntegrationRequest,
  ): Promise<BackendAnswer>;
}

export type IntegrationReply =
  | { kind: "reply"; status: number; headers: Record<string, string>; body: string; detail?: string }
  | {
      kind: "gateway-response";
      type:
        | "BAD_REQUEST_BODY"
        | "BAD_REQUEST_PARAMETERS"
        | "UNSUPPORTED_MEDIA_TYPE"
        | "API_CONFIGURATION_ERROR";
      message: string;
      detail: string;
      validationErrorString?: string;
    };

const configurationError = (detail: string): IntegrationReply => ({
  kind: "gateway-response",
  type: "API_CONFIGURATION_ERROR",
  message: "Internal server error",
  detail,
});

export async function runNonProxy(
  integration: CompiledIntegration,
  request: IntegrationRequest,
  backends: IntegrationBackends,
): Promise<IntegrationReply> {
  if (integration.unsupported.length > 0) {
    return configurationError(`not run locally: ${integration.unsupported.join("; ")}`);
  }
  const refused = validate(integration, request);
  if (refused) return refused;
  const template = integration.requestTemplates[request.contentType];
  const hasTemplates = Object.keys(integration.requestTemplates).length > 0;
  if (
    !template &&
    (integration.passthroughBehavior === "NEVER" ||
      (integration.passthroughBehavior === "WHEN_NO_TEMPLATES" && hasTemplates))
  ) {
    return {
      kind: "gateway-response",
      type: "UNSUPPORTED_MEDIA_TYPE",
      message: "Unsupported Media Type",
      detail: `no request template for ${request.contentType} (passthroughBehavior ${integration.passthroughBehavior})`,
    };
  }
  const context = templateContext(request.facts);
  let requestBody = request.body;
  if (template) {
    const rendered = renderSafely(template, request.body, request, context);
    if (rendered.kind !== "ok") return rendered.reply;
    requestBody = rendered.body;
  }
  const answer = await backends.call(integration, requestBody, request);
  return respond(integration, answer, request, context);
}

function validate(
  integration: CompiledIntegration,
  request: IntegrationRequest,
): IntegrationReply | undefined {
  const parameters = missingParameters(integration.requiredParameters, request.parameters);
  if (!parameters.ok) {
    return {
      kind: "gateway-response",
      type: parameters.type,
      message: parameters.message,
      detail: parameters.reasons,
      validationErrorString: parameters.reasons,
    };
  }
  const validation = integration.validateBody;
  const model = validation?.modelByContentType[request.contentType];
  if (!validation || !model) return undefined;
  const outcome = validation.models.validateBody(model, request.body);
  if (outcome.ok) return undefined;
  return {
    kind: "gateway-response",
    type: outcome.type,
    message: outcome.message,
    detail: `model ${model}: ${outcome.reasons}`,
    validationErrorString: outcome.reasons,
  };
}

type Rendering =
  | { kind: "ok"; body: string; status?: number; headers: Record<string, string> }
  | { kind: "failed"; reply: IntegrationReply };

function renderSafely(
  template: MappingTemplate,
  body: string,
  request: IntegrationRequest,
  context: Record<string, unknown>,
): Rendering {
  try {
    const rendered = template.render({
      input: new GatewayInput(body, request.parameters),
      context,
      stageVariables: request.stageVariables,
    });
    return {
      kind: "ok",
      body: rendered.body,
      ...(rendered.responseOverride.status === undefined ? {} : { status: rendered.responseOverride.status }),
      headers: rendered.responseOverride.header,
    };
  } catch (error) {
    if (error instanceof BodyNotJson) {
      return {
        kind: "failed",
        reply: {
          kind: "gateway-response",
          type: "BAD_REQUEST_BODY",
          message: error.message,
          detail: "the mapping template reads the body as JSON",
        },
      };
    }
    const message =
      error instanceof TemplateRuntimeError || error instanceof Error ? error.message : String(error);
    return { kind: "failed", reply: configurationError(`mapping template failed: ${message}`) };
  }
}

function select(responses: CompiledResponse[], selector: string | undefined): CompiledResponse | undefined {
  if (selector !== undefined) {
    for (const response of responses) {
      if (response.selectionPattern?.test(selector)) return response;
    }
  }
  return responses.find((response) => response.selectionPattern === undefined);
}

function respond(
  integration: CompiledIntegration,
  answer: BackendAnswer,
  request: IntegrationRequest,
  context: Record<string, unknown>,
): IntegrationReply {
  let body: string;
  let selector: string | undefined;
  let backendHeaders: Record<string, string> = {};
  if (answer.kind === "http") {
    body = answer.body;
    selector = String(answer.status);
    backendHeaders = answer.headers;
  } else if (answer.kind === "lambda") {
    body = JSON.stringify(answer.payload ?? null);
  } else {
    body = JSON.stringify({ errorMessage: answer.errorMessage, errorType: answer.errorType });
    selector = answer.errorMessage;
  }
  const response = select(integration.responses, selector);
  const what = answer.kind === "http" ? `status ${answer.status}` : answer.kind;
  if (!response) return configurationError(`no integration response matches ${what} and there is no default`);
  const [contentType, template] = pickTemplate(response.responseTemplates);
  let status = response.statusCode;
  const headers: Record<string, string> = { "Content-Type": contentType };
  for (const [name, source] of Object.entries(response.responseParameters)) {
    const value = source.startsWith("'")
      ? source.slice(1, -1)
      : backendHeaders[source.slice("integration.response.header.".length).toLowerCase()];
    if (value !== undefined) headers[name] = value;
  }
  if (template) {
    const rendered = renderSafely(template, body, request, context);
    if (rendered.kind !== "ok") return rendered.reply;
    body = rendered.body;
    status = rendered.status ?? status;
    Object.assign(headers, rendered.headers);
  }
  return {
    kind: "reply",
    status,
    headers,
    body,
    detail: `${what} -> integration response ${response.label}`,
  };
}

function pickTemplate(templates: Record<string, MappingTemplate>): [string, MappingTemplate | undefined] {
  const json = templates["application/json"];
  if (json) return ["application/json", json];
  const [first] = Object.entries(templates);
  return first ? [first[0], first[1]] : ["application/json", undefined];
}
