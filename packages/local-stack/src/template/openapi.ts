import type { AwsIntegration, IntegrationResponseDefinition, IntegrationTarget } from "./model";

/**
 * Reads the routes an API declares in its DefinitionBody (Swagger 2.0 or OpenAPI 3, intrinsics
 * already resolved) as API Gateway imports them: `x-amazon-apigateway-integration`, request
 * validators and models, `security`. Templates and models stay text and schemas here; the gateway
 * compiles them when it mounts the API. What it cannot run locally is collected per route (the
 * route then fails closed) and as start-up warnings.
 */

type Map = Record<string, unknown>;

export interface DefinitionRoute {
  method: string;
  path: string;
  /** Names from `security` (authorizers under securityDefinitions), or AWS_IAM. */
  auth: { kind: "NONE" } | { kind: "AWS_IAM" } | { kind: "AUTHORIZER"; name: string };
  integration: AwsIntegration;
  /** The integration's `credentials` (a role ARN), if any. */
  credentials?: string;
}

export interface DefinitionReading {
  routes: DefinitionRoute[];
  /** JSON Schema draft 4 models by name (`definitions` / `components.schemas`). */
  models: Record<string, unknown>;
  warnings: string[];
}

const METHODS = [
  "get",
  "put",
  "post",
  "delete",
  "patch",
  "head",
  "options",
  "x-amazon-apigateway-any-method",
];
const LAMBDA_URI = /^arn:[^:]+:apigateway:[^:]+:lambda:path\/2015-03-31\/functions\/(.+)\/invocations$/;
const DYNAMODB_URI = /^arn:[^:]+:apigateway:[^:]+:dynamodb:action\/([A-Za-z]+)$/;

const isMap = (value: unknown): value is Map =>
  value !== null && typeof value === "object" && !Array.isArray(value);
const mapOf = (value: unknown): Map => (isMap(value) ? value : {});

export function readDefinition(body: unknown, where: string): DefinitionReading {
  const warnings: string[] = [];
  const document = mapOf(body);
  const models = mapOf(document.definitions ?? mapOf(document.components).schemas);
  const validators = mapOf(document["x-amazon-apigateway-request-validators"]);
  const securitySchemes = mapOf(document.securityDefinitions ?? mapOf(document.components).securitySchemes);
  const routes: DefinitionRoute[] = [];
  for (const [path, item] of Object.entries(mapOf(document.paths))) {
    for (const [key, value] of Object.entries(mapOf(item))) {
      if (!METHODS.includes(key.toLowerCase())) continue;
      const method = key === "x-amazon-apigateway-any-method" ? "ANY" : key.toUpperCase();
      const operation = mapOf(value);
      const label = `${where}: ${method} ${path}`;
      const raw = operation["x-amazon-apigateway-integration"];
      if (!isMap(raw)) {
        warnings.push(`${label}: no x-amazon-apigateway-integration; not served locally`);
        continue;
      }
      const integration = readIntegration(raw, label);
      const validatorName =
        operation["x-amazon-apigateway-request-validator"] ??
        document["x-amazon-apigateway-request-validator"];
      if (typeof validatorName === "string") {
        const validator = mapOf(validators[validatorName]);
        if (!isMap(validators[validatorName]))
          integration.unsupported.push(`request validator '${validatorName}' is not declared`);
        if (validator.validateRequestBody === true) {
          integration.bodyModels = bodyModels(operation, integration.unsupported);
        }
        if (validator.validateRequestParameters === true)
          integration.requiredParameters = requiredParameters(operation);
      }
      for (const problem of integration.unsupported)
        warnings.push(`${label}: ${problem}; every request to it fails`);
      routes.push({
        method,
        path,
        auth: readAuth(operation, securitySchemes),
        integration,
        ...(typeof raw.credentials === "string" ? { credentials: raw.credentials } : {}),
      });
    }
  }
  return { routes, models, warnings };
}

function readIntegration(raw: Map, label: string): AwsIntegration {
  const unsupported: string[] = [];
  const type = String(raw.type ?? "").toLowerCase();
  const uri = typeof raw.uri === "string" ? raw.uri : "";
  let target: IntegrationTarget = { kind: "dynamodb", action: "" };
  if (type !== "aws") {
    unsupported.push(`integration type '${type}' in a DefinitionBody is not run locally (only 'aws')`);
  } else if (LAMBDA_URI.test(uri)) {
    target = { kind: "lambda", functionArn: LAMBDA_URI.exec(uri)?.[1] ?? "" };
  } else if (DYNAMODB_URI.test(uri)) {
    target = { kind: "dynamodb", action: DYNAMODB_URI.exec(uri)?.[1] ?? "" };
    if (typeof raw.credentials !== "string")
      unsupported.push("a DynamoDB integration needs credentials (a role ARN)");
  } else {
    unsupported.push(
      `integration uri '${uri}' is not run locally (Lambda functions and DynamoDB actions are)`,
    );
  }
  if (type === "aws" && String(raw.httpMethod ?? "POST").toUpperCase() !== "POST") {
    unsupported.push(`httpMethod ${String(raw.httpMethod)}: AWS integrations are called with POST`);
  }
  for (const key of ["requestParameters", "contentHandling", "cacheKeyParameters"]) {
    if (raw[key] !== undefined && Object.keys(mapOf(raw[key])).length > 0)
      unsupported.push(`${key} is not supported locally`);
  }
  const passthrough = String(raw.passthroughBehavior ?? "when_no_match").toUpperCase();
  return {
    type: "AWS",
    target,
    requestTemplates: templates(raw.requestTemplates),
    passthroughBehavior:
      passthrough === "NEVER" || passthrough === "WHEN_NO_TEMPLATES" ? passthrough : "WHEN_NO_MATCH",
    responses: readResponses(mapOf(raw.responses), unsupported, label),
    requiredParameters: [],
    unsupported,
  };
}

function templates(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [contentType, source] of Object.entries(mapOf(value))) {
    out[contentType.toLowerCase()] = typeof source === "string" ? source : "";
  }
  return out;
}

function readResponses(raw: Map, unsupported: string[], label: string): IntegrationResponseDefinition[] {
  const selected: IntegrationResponseDefinition[] = [];
  let fallback: IntegrationResponseDefinition | undefined;
  for (const [pattern, value] of Object.entries(raw)) {
    const response = mapOf(value);
    const statusCode = Number(response.statusCode);
    if (!Number.isInteger(statusCode)) {
      unsupported.push(`integration response '${pattern}' has no statusCode`);
      continue;
    }
    const parameters: Record<string, string> = {};
    for (const [name, source] of Object.entries(mapOf(response.responseParameters))) {
      const text = String(source);
      if (
        !/^method\.response\.header\./.test(name) ||
        !/^('.*'|integration\.response\.header\.[\w-]+)$/.test(text)
      ) {
        unsupported.push(`responseParameters ${name} = ${text} is not supported locally`);
        continue;
      }
      parameters[name.slice("method.response.header.".length)] = text;
    }
    const definition: IntegrationResponseDefinition = {
      statusCode,
      responseTemplates: templates(response.responseTemplates),
      responseParameters: parameters,
    };
    if (pattern === "default") fallback = definition;
    else {
      try {
        new RegExp(pattern, "u");
      } catch {
        unsupported.push(`${label}: selectionPattern '${pattern}' is not a regex JavaScript can run`);
        continue;
      }
      selected.push({ ...definition, selectionPattern: pattern });
    }
  }
  return fallback ? [...selected, fallback] : selected;
}

function bodyModels(operation: Map, unsupported: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const refName = (ref: unknown): string | undefined =>
    typeof ref === "string" ? /^#\/(?:definitions|components\/schemas)\/(.+)$/.exec(ref)?.[1] : undefined;
  for (const parameter of Array.isArray(operation.parameters) ? operation.parameters : []) {
    const value = mapOf(parameter);
    if (value.in !== "body") continue;
    const name = refName(mapOf(value.schema).$ref);
    if (!name) unsupported.push("a body parameter's schema must be a $ref to a model");
    const consumes = Array.isArray(operation.consumes)
      ? operation.consumes.map(String)
      : ["application/json"];
    if (name) for (const contentType of consumes) out[contentType.toLowerCase()] = name;
  }
  for (const [contentType, media] of Object.entries(mapOf(mapOf(operation.requestBody).content))) {
    const name = refName(mapOf(mapOf(media).schema).$ref);
    if (name) out[contentType.toLowerCase()] = name;
  }
  return out;
}

function requiredParameters(operation: Map): string[] {
  const where: Record<string, string> = { query: "querystring", header: "header", path: "path" };
  const out: string[] = [];
  for (const parameter of Array.isArray(operation.parameters) ? operation.parameters : []) {
    const value = mapOf(parameter);
    const location = where[String(value.in)];
    if (location && value.required === true) out.push(`method.request.${location}.${String(value.name)}`);
  }
  return out;
}

function readAuth(operation: Map, schemes: Map): DefinitionRoute["auth"] {
  if (String(mapOf(operation["x-amazon-apigateway-auth"]).type).toUpperCase() === "AWS_IAM")
    return { kind: "AWS_IAM" };
  const security = Array.isArray(operation.security) ? operation.security : [];
  const name = Object.keys(mapOf(security[0]))[0];
  if (!name) return { kind: "NONE" };
  if (String(mapOf(schemes[name])["x-amazon-apigateway-authtype"]).toLowerCase() === "awssigv4")
    return { kind: "AWS_IAM" };
  return { kind: "AUTHORIZER", name };
}
