import type { ApiDefinition, AwsIntegration, IntegrationRole, IntegrationTarget } from "../../template";
import { RequestModels } from "../models/request-model";
import { MappingTemplate } from "../vtl";

/**
 * A non-proxy integration ready to run: its VTL parsed and checked, its models compiled. Done once
 * per API when the gateway mounts it; what cannot run is reported then (and the route fails closed).
 */

export interface CompiledResponse {
  selectionPattern?: RegExp;
  label: string;
  statusCode: number;
  responseTemplates: Record<string, MappingTemplate>;
  responseParameters: Record<string, string>;
}

export interface CompiledIntegration {
  target: IntegrationTarget;
  role?: IntegrationRole;
  requestTemplates: Record<string, MappingTemplate>;
  passthroughBehavior: AwsIntegration["passthroughBehavior"];
  responses: CompiledResponse[];
  validateBody?: { models: RequestModels; modelByContentType: Record<string, string> };
  requiredParameters: string[];
  unsupported: string[];
}

function compileTemplates(
  sources: Record<string, string>,
  what: string,
  unsupported: string[],
): Record<string, MappingTemplate> {
  const out: Record<string, MappingTemplate> = {};
  for (const [contentType, source] of Object.entries(sources)) {
    const template = MappingTemplate.compile(source);
    for (const problem of template.unsupported) unsupported.push(`${what} (${contentType}): ${problem}`);
    out[contentType] = template;
  }
  return out;
}

function compileIntegration(definition: AwsIntegration, models: RequestModels): CompiledIntegration {
  const unsupported = [...definition.unsupported];
  const responses = definition.responses.map((response): CompiledResponse => {
    const label = response.selectionPattern ?? "default";
    return {
      label,
      ...(response.selectionPattern === undefined
        ? {}
        : { selectionPattern: new RegExp(`^(?:${response.selectionPattern})$`, "u") }),
      statusCode: response.statusCode,
      responseTemplates: compileTemplates(
        response.responseTemplates,
        `response template '${label}'`,
        unsupported,
      ),
      responseParameters: response.responseParameters,
    };
  });
  const bodyModels = definition.bodyModels;
  for (const model of Object.values(bodyModels ?? {})) {
    if (!models.has(model)) unsupported.push(`model ${model} is not declared or not valid`);
  }
  return {
    target: definition.target,
    ...(definition.role ? { role: definition.role } : {}),
    requestTemplates: compileTemplates(definition.requestTemplates, "request template", unsupported),
    passthroughBehavior: definition.passthroughBehavior,
    responses,
    ...(bodyModels ? { validateBody: { models, modelByContentType: bodyModels } } : {}),
    requiredParameters: definition.requiredParameters,
    unsupported,
  };
}

/** Every AWS integration of an API, compiled, with what could not be (for the start-up report). */
export function compileApiIntegrations(api: ApiDefinition): {
  integrations: Map<AwsIntegration, CompiledIntegration>;
  warnings: string[];
} {
  const models = new RequestModels(api.models);
  const warnings = models.problems.map((problem) => `${api.service}/${api.logicalId}: ${problem}`);
  const integrations = new Map<AwsIntegration, CompiledIntegration>();
  for (const route of api.routes) {
    if (route.integration.type !== "AWS") continue;
    const compiled = compileIntegration(route.integration, models);
    // The template reader already reported the definition's own problems; add the VTL's.
    for (const problem of compiled.unsupported.slice(route.integration.unsupported.length)) {
      warnings.push(
        `${api.service}/${api.logicalId}: ${route.method} ${route.path}: ${problem}; every request to it fails`,
      );
    }
    integrations.set(route.integration, compiled);
  }
  return { integrations, warnings };
}
