import { TemplateError } from "../errors";
import { isRoleArn, parseResourcePolicy } from "../iam";
import type {
  CfnResource,
  ProjectEnvironment as Environment,
  FunctionSpec,
  LocalProject,
  ProjectService as Service,
} from "../project";
import { isPlainMap, mergeGlobals } from "./globals";
import { NO_VALUE, type ParameterValue, type TemplateEvaluator } from "./intrinsics";
import type {
  ApiDefinition,
  AuthorizerDefinition,
  CorsDefinition,
  FunctionDefinition,
  GatewayResponseDefinition,
  GenerateSecretOptions,
  ParameterDefinition,
  RouteAuth,
  RouteDefinition,
  ScheduleDefinition,
  SecretDefinition,
  ServicePlan,
  TableDefinition,
} from "./model";
import { evaluatorWithNested, type NestedStack } from "./nested";
import { type DefinitionRoute, readDefinition } from "./openapi";
import {
  functionName as functionNameOf,
  hasImplicitApi,
  lambdaArn,
  localResourceModel,
  parameterName,
  restApiId,
  secretArn,
  secretName,
  tableName,
} from "./resources";
import { functionIdentityPolicy } from "./role-policy";

/**
 * Turns one service's template into what the local stack creates and serves,
 * the way CloudFormation would resolve it for environment `local`. Pure
 * except for reading SSM parameters (the `AWS::SSM::Parameter::Value` inputs
 * published by services earlier in the deploy order).
 */

/** An API of a service, before it has an address. */
export interface DescribedApi {
  service: string;
  logicalId: string;
  apiId: string;
  mount: string;
}

/** An API with its own origin, as its execute-api host would be: `{origin}/{stage}` is its base URL. */
export interface LocalApi extends DescribedApi {
  origin: string;
}

export interface PlanContext {
  project: LocalProject;
  environment: Environment;
  /** Reads a parameter from the local SSM store. */
  lookupParameter(name: string): Promise<string | undefined>;
  /** Every local API of every service, so execute-api URLs become gateway URLs. */
  apis: LocalApi[];
  /**
   * Managed policies of the services planned so far, by ARN; planService adds
   * its own. Permissions boundaries (ops' policy, read through SSM) are looked up here.
   */
  managedPolicies?: Map<string, unknown>;
  /** Where the gateway serves a static site: a CloudFront distribution's https URL becomes it. */
  siteUrl?: string;
}

const IMPLICIT_API = "ServerlessRestApi";

/** API Gateway matches a TOKEN authorizer's ValidationExpression against the whole token. */
export function validationPattern(expression: string): RegExp {
  return new RegExp(`^(?:${expression})$`);
}

/** Every API a service serves: declared `AWS::Serverless::Api`s, then SAM's implicit one. */
export function describeApis(
  project: LocalProject,
  services: Service[],
  environment: Environment,
): DescribedApi[] {
  const apis: DescribedApi[] = [];
  for (const service of services) {
    const stack = project.stackName(environment.name, service.name);
    const logicalIds = Object.entries(service.template.Resources)
      .filter(([, resource]) => resource.Type === "AWS::Serverless::Api")
      .map(([logicalId]) => logicalId);
    if (hasImplicitApi(service.template)) logicalIds.push(IMPLICIT_API);
    logicalIds.forEach((logicalId, index) => {
      // One API per service is the convention; any further one gets its own prefix.
      const mount = index === 0 ? service.name : `${service.name}-${logicalId.toLowerCase()}`;
      apis.push({
        service: service.name,
        logicalId,
        apiId: restApiId(stack, logicalId),
        mount,
      });
    });
  }
  return apis;
}

/** Described APIs at a running stack's origins (its `apiOrigins`, by API id); one it has none for is left out. */
export function atOrigins(apis: DescribedApi[], origins: Record<string, string>): LocalApi[] {
  return apis.flatMap((api) => {
    const origin = origins[api.apiId];
    return origin === undefined ? [] : [{ ...api, origin }];
  });
}

const EXECUTE_API_URL =
  /https:\/\/([a-z0-9]{10})\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([A-Za-z0-9_-]+)/g;

/** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}` of a local API -> `{its origin}/{stage}`. */
export function localizeApiUrls(value: string, apis: LocalApi[]): string {
  if (!value.includes(".execute-api.")) return value;
  return value.replace(EXECUTE_API_URL, (match, apiId: string, stage: string) => {
    const api = apis.find((candidate) => candidate.apiId === apiId);
    return api ? `${api.origin}/${stage}` : match;
  });
}

const CLOUDFRONT_URL = /https:\/\/[a-z0-9]+\.cloudfront\.net/g;

/** `https://{id}.cloudfront.net` (a distribution serving a static site) -> the gateway's URL. */
export function localizeSiteUrls(value: string, siteUrl: string | undefined): string {
  if (siteUrl === undefined || !value.includes(".cloudfront.net")) return value;
  return value.replace(CLOUDFRONT_URL, siteUrl);
}

const SSM_TYPE = /^AWS::SSM::Parameter::Value<(.+)>$/;

/**
 * Parameter values as the deploy passes them: the template configuration built
 * from environments.yaml and metadata.yaml, then template defaults, then SSM
 * lookups for `AWS::SSM::Parameter::Value<...>` parameters.
 */
export async function resolveParameters(
  project: LocalProject,
  service: Service,
  environment: Environment,
  lookupParameter: (name: string) => Promise<string | undefined>,
): Promise<Record<string, ParameterValue>> {
  const configuration = project.templateConfiguration(service, environment);
  const values: Record<string, ParameterValue> = {};
  for (const [name, declaration] of Object.entries(service.template.Parameters ?? {})) {
    const where = `src/${service.name}/template.yaml: Parameters.${name}`;
    const given =
      configuration.Parameters[name] ??
      (declaration.Default === undefined ? undefined : String(declaration.Default));
    if (given === undefined) throw new TemplateError(`${where}: no value`);
    const ssm = SSM_TYPE.exec(declaration.Type);
    if (ssm) {
      const value = await lookupParameter(given);
      if (value === undefined) {
        const owner = given.split("/")[3];
        throw new TemplateError(
          `${where}: reads SSM parameter ${given}, which does not exist locally` +
            (owner ? ` (published by service '${owner}'; is it in src/ and started?)` : ""),
        );
      }
      values[name] = /List|CommaDelimited/.test(ssm[1] ?? "") ? value.split(",") : value;
      continue;
    }
    validateParameter(where, declaration, given);
    values[name] = /^List<|^CommaDelimitedList$/.test(declaration.Type)
      ? given.split(",").map((item) => item.trim())
      : given;
  }
  return values;
}

function validateParameter(
  where: string,
  declaration: NonNullable<Service["template"]["Parameters"]>[string] & {
    AllowedPattern?: string;
    MinLength?: number;
    MaxLength?: number;
  },
  value: string,
): void {
  // CloudFormation rejects these at deploy time; failing here keeps local and AWS in step.
  if (declaration.AllowedValues && !declaration.AllowedValues.map(String).includes(value)) {
    throw new TemplateError(`${where}: '${value}' is not one of ${declaration.AllowedValues.join(", ")}`);
  }
  if (declaration.Type === "Number") {
    const number = Number(value);
    if (value.trim() === "" || Number.isNaN(number))
      throw new TemplateError(`${where}: '${value}' is not a number`);
    if (declaration.MinValue !== undefined && number < declaration.MinValue) {
      throw new TemplateError(`${where}: ${value} is below MinValue ${declaration.MinValue}`);
    }
    if (declaration.MaxValue !== undefined && number > declaration.MaxValue) {
      throw new TemplateError(`${where}: ${value} is above MaxValue ${declaration.MaxValue}`);
    }
  }
  if (
    declaration.AllowedPattern !== undefined &&
    !new RegExp(`^(?:${declaration.AllowedPattern})$`).test(value)
  ) {
    throw new TemplateError(
      `${where}: '${value}' does not match AllowedPattern ${declaration.AllowedPattern}`,
    );
  }
  if (declaration.MinLength !== undefined && value.length < declaration.MinLength) {
    throw new TemplateError(`${where}: shorter than MinLength ${declaration.MinLength}`);
  }
  if (declaration.MaxLength !== undefined && value.length > declaration.MaxLength) {
    throw new TemplateError(`${where}: longer than MaxLength ${declaration.MaxLength}`);
  }
}

function asRecord(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined || value === NO_VALUE) return {};
  if (!isPlainMap(value)) throw new TemplateError(`${where}: expected a map`);
  return value;
}

function optionalString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

const RATE = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/;

export function scheduleIntervalMs(expression: string): number | undefined {
  const match = RATE.exec(expression.trim());
  if (!match) return undefined;
  const unit = match[2]?.startsWith("minute")
    ? 60_000
    : match[2]?.startsWith("hour")
      ? 3_600_000
      : 86_400_000;
  return Number(match[1]) * unit;
}

/** One service's template as it is being planned: its evaluator, file name and the warnings so far. */
interface Planning {
  service: Service;
  stackName: string;
  evaluator: TemplateEvaluator;
  file: string;
  warnings: string[];
  managedPolicies: Map<string, unknown>;
}

type Resources = Array<[string, CfnResource]>;

export async function planService(service: Service, context: PlanContext): Promise<ServicePlan> {
  const { environment, project } = context;
  const stackName = project.stackName(environment.name, service.name);
  const parameters = await resolveParameters(project, service, environment, context.lookupParameter);
  const file = `src/${service.name}/template.yaml`;
  const { evaluator, nested } = evaluatorWithNested({
    template: service.template,
    stackName,
    region: environment.region,
    parameters,
    resources: localResourceModel,
    rewriteString: (value) => localizeSiteUrls(localizeApiUrls(value, context.apis), context.siteUrl),
    applications: service.applications,
    file,
  });
  const planning: Planning = {
    service,
    stackName,
    evaluator,
    file,
    warnings: [],
    managedPolicies: context.managedPolicies ?? new Map(),
  };
  const resources = Object.entries(service.template.Resources).filter(([logicalId]) =>
    evaluator.resourceEnabled(logicalId),
  );
  const { tables, secrets, ssmParameters } = planDataResources(planning, resources);
  const ownApis = context.apis.filter((api) => api.service === service.name);
  const apiDefinitions = new Map(
    ownApis.map((api) => [
      api.logicalId,
      planApi(api, service, evaluator, planning.file, planning.warnings, stackName, planning.managedPolicies),
    ]),
  );
  const apiRoutes = new Map<string, RouteDefinition[]>();
  const specs = new Map(project.listFunctions(service).map((spec) => [spec.logicalId, spec]));
  const functions: FunctionDefinition[] = [];
  for (const [logicalId, resource] of resources) {
    const spec = specs.get(logicalId);
    if (resource.Type !== "AWS::Serverless::Function" || !spec) continue;
    const planned = planFunction(planning, logicalId, resource, spec, ownApis, apiDefinitions);
    functions.push(planned.fn);
    for (const { apiLogicalId, route } of planned.routes) {
      apiRoutes.set(apiLogicalId, [...(apiRoutes.get(apiLogicalId) ?? []), route]);
    }
  }
  const planned = { tables, secrets, ssmParameters, functions };
  for (const stack of nested()) planNestedStack(planning, stack, specs, planned);
  const apis: ApiDefinition[] = [];
  for (const [logicalId, definition] of apiDefinitions) {
    const eventRoutes = apiRoutes.get(logicalId) ?? [];
    if (!definition.mergesEvents && eventRoutes.length > 0) {
      // SAM adds Api events to an API with a DefinitionBody only under MergeDefinitions: true.
      planning.warnings.push(
        `${service.name}/${logicalId}: has a DefinitionBody without MergeDefinitions: true, so SAM leaves out its functions' Api events (${eventRoutes.map((route) => `${route.method} ${route.path}`).join(", ")}); not served locally either`,
      );
    }
    apis.push({
      ...definition.api,
      routes: [...definition.definitionRoutes, ...(definition.mergesEvents ? eventRoutes : [])],
    });
  }
  const { warnings } = planning;
  return { service, stackName, parameters, tables, secrets, ssmParameters, functions, apis, warnings };
}

/**
 * A nested stack's tables, secrets, parameters and functions (its functions'
 * ids are `<service>/<LogicalId>` as the service's own are), then its own nested stacks.
 * A nested stack serves no API: an Api event there is an error.
 */
function planNestedStack(
  parent: Planning,
  stack: NestedStack,
  specs: Map<string, FunctionSpec>,
  planned: Pick<ServicePlan, "tables" | "secrets" | "ssmParameters" | "functions">,
): void {
  const planning: Planning = {
    ...parent,
    service: { ...parent.service, template: stack.template, templatePath: stack.templatePath },
    stackName: stack.evaluator.stackName,
    evaluator: stack.evaluator,
    file: stack.templatePath,
  };
  const resources = Object.entries(stack.template.Resources).filter(([logicalId]) =>
    stack.evaluator.resourceEnabled(logicalId),
  );
  const data = planDataResources(planning, resources);
  planned.tables.push(...data.tables);
  planned.secrets.push(...data.secrets);
  planned.ssmParameters.push(...data.ssmParameters);
  for (const [logicalId, resource] of resources) {
    const spec = specs.get(logicalId);
    if (resource.Type !== "AWS::Serverless::Function" || !spec) continue;
    const { fn, routes } = planFunction(planning, logicalId, resource, spec, [], new Map());
    if (planned.functions.some((other) => other.id === fn.id))
      throw new TemplateError(
        `${planning.file}: Resources.${logicalId}: a function of this id is already planned (${fn.id})`,
      );
    if (routes.length > 0)
      throw new TemplateError(
        `${planning.file}: Resources.${logicalId}: Api events in a nested stack are not served locally`,
      );
    planned.functions.push(fn);
  }
  for (const inner of stack.nested()) planNestedStack(planning, inner, specs, planned);
}

/** Tables, secrets and SSM parameters, as CloudFormation would create them. */
function planDataResources(
  planning: Planning,
  resources: Resources,
): { tables: TableDefinition[]; secrets: SecretDefinition[]; ssmParameters: ParameterDefinition[] } {
  const { evaluator } = planning;
  const planned = {
    tables: [] as TableDefinition[],
    secrets: [] as SecretDefinition[],
    ssmParameters: [] as ParameterDefinition[],
  };
  for (const [logicalId, resource] of resources) {
    const where = `${planning.file}: Resources.${logicalId}`;
    const properties = resource.Properties ?? {};
    const field = (name: string): unknown =>
      evaluator.evaluate(properties[name], `${where}.Properties.${name}`);
    if (resource.Type === "AWS::DynamoDB::Table") {
      planned.tables.push({ logicalId, input: tableInput(field, tableName(evaluator, logicalId, resource)) });
    } else if (resource.Type === "AWS::SecretsManager::Secret") {
      const name = secretName(evaluator, logicalId, resource);
      const generate = field("GenerateSecretString");
      planned.secrets.push({
        logicalId,
        name,
        arn: secretArn(evaluator, name),
        description: optionalString(field("Description")),
        secretString: optionalString(field("SecretString")),
        generate: isPlainMap(generate) ? (generate as GenerateSecretOptions) : undefined,
      });
    } else if (resource.Type === "AWS::SSM::Parameter") {
      planned.ssmParameters.push(planParameter(evaluator, logicalId, resource, where, field));
    } else if (resource.Type === "AWS::IAM::ManagedPolicy") {
      planning.managedPolicies.set(
        String(evaluator.evaluate({ Ref: logicalId }, where)),
        field("PolicyDocument"),
      );
    }
  }
  return planned;
}

function planParameter(
  evaluator: TemplateEvaluator,
  logicalId: string,
  resource: CfnResource,
  where: string,
  field: (name: string) => unknown,
): ParameterDefinition {
  const type = optionalString(field("Type")) ?? "String";
  if (type !== "String" && type !== "StringList" && type !== "SecureString") {
    throw new TemplateError(`${where}.Properties.Type: '${type}' is not String, StringList or SecureString`);
  }
  const value = field("Value");
  return {
    logicalId,
    name: parameterName(evaluator, logicalId, resource),
    type,
    value: Array.isArray(value)
      ? value.join(",")
      : evaluator.evaluateString(value, `${where}.Properties.Value`),
    description: optionalString(field("Description")),
  };
}

type PlannedRoute = { apiLogicalId: string; route: RouteDefinition };

/** One AWS::Serverless::Function: its settings (Globals merged), role and policy, and its events. */
function planFunction(
  planning: Planning,
  logicalId: string,
  resource: CfnResource,
  spec: FunctionSpec,
  ownApis: LocalApi[],
  apiDefinitions: Map<string, PlannedApi>,
): { fn: FunctionDefinition; routes: PlannedRoute[] } {
  const { evaluator, service, warnings } = planning;
  const globalFunction = service.template.Globals?.Function ?? {};
  const where = `${planning.file}: Resources.${logicalId}`;
  const property = (name: string): unknown =>
    evaluator.evaluate(
      mergeGlobals(globalFunction[name], resource.Properties?.[name]),
      `${where}.Properties.${name}`,
    );
  const loggingConfig = asRecord(property("LoggingConfig"), `${where}.Properties.LoggingConfig`);
  const name = functionNameOf(evaluator, logicalId, resource);
  const id = `${service.name}/${logicalId}`;
  const events = functionEvents(planning, id, resource, where, ownApis, apiDefinitions);
  const roleArn = functionRoleArn(evaluator, logicalId, property("Role"), where);
  if (!isRoleArn(roleArn))
    warnings.push(`${id}: Role '${roleArn}' is not an IAM role ARN; resource policies match it as it is`);
  const identity = functionIdentityPolicy(
    evaluator,
    logicalId,
    resource,
    planning.file,
    planning.managedPolicies,
  );
  warnings.push(...identity.warnings);
  const timeout = Number(property("Timeout") ?? 3);
  const memory = Number(property("MemorySize") ?? 128);
  const reserved = property("ReservedConcurrentExecutions");
  const fn: FunctionDefinition = {
    id,
    service: service.name,
    logicalId,
    functionName: name,
    arn: lambdaArn(evaluator, name),
    roleArn,
    identityPolicy: identity.policy,
    spec,
    environment: environmentVariables(property("Environment"), where),
    timeoutSeconds: Number.isFinite(timeout) && timeout > 0 ? timeout : 3,
    memorySize: Number.isFinite(memory) && memory >= 128 ? memory : 128,
    runtime: optionalString(property("Runtime")) ?? "nodejs22.x",
    logFormat: loggingConfig.LogFormat === "JSON" ? "JSON" : "Text",
    logGroupName: optionalString(loggingConfig.LogGroup) ?? `/aws/lambda/${name}`,
    applicationLogLevel: optionalString(loggingConfig.ApplicationLogLevel),
    reservedConcurrency:
      typeof reserved === "number" || typeof reserved === "string" ? Number(reserved) : undefined,
    schedules: events.schedules,
  };
  return { fn, routes: events.routes };
}

function environmentVariables(environment: unknown, where: string): Record<string, string> {
  const variables = asRecord(asRecord(environment, `${where}.Properties.Environment`).Variables, where);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    const text = optionalString(value);
    if (text === undefined)
      throw new TemplateError(`${where}: Environment.Variables.${name} must be a string`);
    out[name] = text;
  }
  return out;
}

/** A function's Api events become routes, its Schedule events schedules; others are reported. */
function functionEvents(
  planning: Planning,
  id: string,
  resource: CfnResource,
  where: string,
  ownApis: LocalApi[],
  apiDefinitions: Map<string, PlannedApi>,
): { routes: PlannedRoute[]; schedules: ScheduleDefinition[] } {
  const { evaluator, warnings } = planning;
  const routes: PlannedRoute[] = [];
  const schedules: ScheduleDefinition[] = [];
  const events = (resource.Properties?.Events ?? {}) as Record<
    string,
    { Type?: string; Properties?: unknown }
  >;
  for (const [eventName, event] of Object.entries(events)) {
    const eventWhere = `${where}.Properties.Events.${eventName}`;
    const eventProperties = asRecord(event.Properties, eventWhere);
    if (event.Type === "Api") {
      routes.push(planRoute(id, eventProperties, evaluator, eventWhere, ownApis, apiDefinitions));
    } else if (event.Type === "Schedule" || event.Type === "ScheduleV2") {
      const resolved = asRecord(evaluator.evaluate(eventProperties, eventWhere), eventWhere);
      const expression = optionalString(resolved.Schedule ?? resolved.ScheduleExpression) ?? "";
      const disabled = resolved.Enabled === false || resolved.State === "DISABLED";
      if (disabled) continue;
      const everyMs = scheduleIntervalMs(expression);
      if (everyMs === undefined)
        warnings.push(`${id}: schedule '${expression}' is not run locally (only rate(...) is)`);
      const input = typeof resolved.Input === "string" ? safeJson(resolved.Input) : undefined;
      schedules.push({ name: eventName, expression, everyMs, input });
    } else {
      warnings.push(`${id}: ${event.Type} event '${eventName}' is not emulated locally`);
    }
  }
  return { routes, schedules };
}

/**
 * The role a function runs as: its Role (an ARN, usually `!GetAtt SomeRole.Arn`),
 * else the one SAM generates for it, `<LogicalId>Role` under its RolePath.
 */
function functionRoleArn(
  evaluator: TemplateEvaluator,
  logicalId: string,
  role: unknown,
  where: string,
): string {
  if (role === undefined || role === NO_VALUE) {
    return evaluator.evaluateString(
      { "Fn::GetAtt": [`${logicalId}Role`, "Arn"] },
      `${where}.Properties.RolePath`,
    );
  }
  return evaluator.evaluateString(role, `${where}.Properties.Role`);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function tableInput(field: (name: string) => unknown, name: string): TableDefinition["input"] {
  const billingMode = optionalString(field("BillingMode")) ?? "PROVISIONED";
  const input: Record<string, unknown> = {
    TableName: name,
    AttributeDefinitions: field("AttributeDefinitions"),
    KeySchema: field("KeySchema"),
    BillingMode: billingMode,
  };
  const numbers = (throughput: unknown): unknown => {
    if (!isPlainMap(throughput)) return undefined;
    return {
      ReadCapacityUnits: Number(throughput.ReadCapacityUnits),
      WriteCapacityUnits: Number(throughput.WriteCapacityUnits),
    };
  };
  if (billingMode === "PROVISIONED") input.ProvisionedThroughput = numbers(field("ProvisionedThroughput"));
  const indexes = (value: unknown): unknown[] | undefined =>
    Array.isArray(value) && value.length > 0
      ? value.map((index) => {
          const { IndexName, KeySchema, Projection, ProvisionedThroughput } = index as Record<
            string,
            unknown
          >;
          return {
            IndexName,
            KeySchema,
            Projection,
            ...(billingMode === "PROVISIONED" && ProvisionedThroughput
              ? { ProvisionedThroughput: numbers(ProvisionedThroughput) }
              : {}),
          };
        })
      : undefined;
  const global = indexes(field("GlobalSecondaryIndexes"));
  if (global) input.GlobalSecondaryIndexes = global;
  const local = indexes(field("LocalSecondaryIndexes"));
  if (local)
    input.LocalSecondaryIndexes = local.map((index) => ({
      ...(index as object),
      ProvisionedThroughput: undefined,
    }));
  return input as unknown as TableDefinition["input"];
}

interface PlannedApi {
  api: Omit<ApiDefinition, "routes">;
  defaultAuth: string | undefined;
  authorizers: Map<string, AuthorizerDefinition | { unsupported: string }>;
  /** Routes declared in the DefinitionBody (non-proxy integrations). */
  definitionRoutes: RouteDefinition[];
  /** Whether SAM adds the functions' Api events: always without a DefinitionBody, else under MergeDefinitions. */
  mergesEvents: boolean;
}

function planApi(
  local: LocalApi,
  service: Service,
  evaluator: TemplateEvaluator,
  file: string,
  warnings: string[],
  stackName: string,
  managedPolicies: Map<string, unknown>,
): PlannedApi {
  const declared = service.template.Resources[local.logicalId];
  const where = `${file}: Resources.${local.logicalId}`;
  const globals = service.template.Globals?.Api ?? {};
  const raw = (name: string): unknown => mergeGlobals(globals[name], declared?.Properties?.[name]);
  const property = (name: string): unknown => evaluator.evaluate(raw(name), `${where}.Properties.${name}`);
  if (raw("DefinitionUri") !== undefined) {
    warnings.push(
      `${service.name}/${local.logicalId}: DefinitionUri is not read locally (a DefinitionBody is); routes come from function Api events`,
    );
  }
  const stage = declared
    ? evaluator.evaluateString(raw("StageName"), `${where}.Properties.StageName`)
    : "Prod";
  const auth = asRecord(
    evaluator.evaluate(
      {
        DefaultAuthorizer: asRecord(raw("Auth"), where).DefaultAuthorizer,
        Authorizers: asRecord(raw("Auth"), where).Authorizers,
      },
      `${where}.Properties.Auth`,
    ),
    `${where}.Properties.Auth`,
  );
  const authorizers = planAuthorizers(auth.Authorizers, where);
  const binary = property("BinaryMediaTypes");
  const responses = asRecord(property("GatewayResponses"), `${where}.Properties.GatewayResponses`);
  const apiId = restApiId(stackName, local.logicalId);
  const rawPolicy = asRecord(raw("Auth"), where).ResourcePolicy;
  const { policy: resourcePolicy, warnings: policyWarnings } = parseResourcePolicy(
    rawPolicy === undefined
      ? undefined
      : evaluator.evaluate(rawPolicy, `${where}.Properties.Auth.ResourcePolicy`),
    { partition: evaluator.partition, region: evaluator.region, accountId: evaluator.accountId, apiId },
    `${service.name}/${local.logicalId}`,
  );
  warnings.push(...policyWarnings);
  const definition = definitionRoutes(raw("DefinitionBody"), authorizers, {
    evaluator,
    service: service.name,
    apiLogicalId: local.logicalId,
    file,
    where,
    warnings,
    managedPolicies,
  });
  return {
    api: {
      service: service.name,
      logicalId: local.logicalId,
      apiId,
      stage,
      mount: local.mount,
      baseUrl: `${local.origin}/${stage}`,
      gatewayResponses: responses as Record<string, GatewayResponseDefinition>,
      // SAM writes `/` as `~1` in BinaryMediaTypes (a JSON-pointer escape).
      binaryMediaTypes: Array.isArray(binary) ? binary.map((type) => String(type).replaceAll("~1", "/")) : [],
      cors: corsOf(property("Cors")),
      stageVariables: stageVariablesOf(property("Variables"), `${where}.Properties.Variables`),
      models: definition.models,
      ...(resourcePolicy ? { resourcePolicy } : {}),
    },
    defaultAuth: optionalString(auth.DefaultAuthorizer),
    authorizers,
    definitionRoutes: definition.routes,
    mergesEvents: raw("DefinitionBody") === undefined || property("MergeDefinitions") === true,
  };
}

/** The DefinitionBody's routes, with their authorizers and their integration roles' policies. */
function definitionRoutes(
  body: unknown,
  authorizers: Map<string, AuthorizerDefinition | { unsupported: string }>,
  scope: {
    evaluator: TemplateEvaluator;
    service: string;
    apiLogicalId: string;
    file: string;
    where: string;
    warnings: string[];
    /** Where the integration roles' permissions boundaries are looked up. */
    managedPolicies: Map<string, unknown>;
  },
): { routes: RouteDefinition[]; models: Record<string, unknown> } {
  if (body === undefined) return { routes: [], models: {} };
  const label = `${scope.service}/${scope.apiLogicalId}`;
  const reading = readDefinition(
    scope.evaluator.evaluate(body, `${scope.where}.Properties.DefinitionBody`),
    label,
  );
  scope.warnings.push(...reading.warnings);
  const authOf = (declared: DefinitionRoute["auth"]): RouteAuth => {
    if (declared.kind !== "AUTHORIZER") return { kind: declared.kind };
    const authorizer = authorizers.get(declared.name);
    if (!authorizer) {
      return {
        kind: "UNSUPPORTED",
        reason: `security names '${declared.name}', which is not in Auth.Authorizers`,
      };
    }
    return "unsupported" in authorizer
      ? { kind: "UNSUPPORTED", reason: authorizer.unsupported }
      : { kind: "LAMBDA", authorizer };
  };
  const routes = reading.routes.map((route): RouteDefinition => {
    if (route.credentials !== undefined) {
      const identity = functionIdentityPolicy(
        scope.evaluator,
        scope.apiLogicalId,
        { Type: "AWS::Serverless::Function", Properties: { Role: route.credentials } },
        scope.file,
        scope.managedPolicies,
      );
      scope.warnings.push(...identity.warnings);
      route.integration.role = {
        roleArn: route.credentials,
        callerId: `${label}:${route.credentials.split("/").pop() ?? route.credentials}`,
        identityPolicy: identity.policy,
      };
    }
    return {
      method: route.method,
      path: route.path,
      auth: authOf(route.auth),
      integration: route.integration,
    };
  });
  return { routes, models: reading.models };
}

function stageVariablesOf(value: unknown, where: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, text] of Object.entries(asRecord(value, where))) {
    const resolved = optionalString(text);
    if (resolved === undefined) throw new TemplateError(`${where}.${name} must be a string`);
    variables[name] = resolved;
  }
  return variables;
}

/** Auth.Authorizers: Lambda authorizers as API Gateway runs them; anything else is unsupported. */
function planAuthorizers(
  raw: unknown,
  where: string,
): Map<string, AuthorizerDefinition | { unsupported: string }> {
  const authorizers = new Map<string, AuthorizerDefinition | { unsupported: string }>();
  for (const [name, value] of Object.entries(asRecord(raw, `${where}.Properties.Auth.Authorizers`))) {
    const definition = asRecord(value, `${where}.Properties.Auth.Authorizers.${name}`);
    const functionArn = optionalString(definition.FunctionArn);
    if (!functionArn) {
      authorizers.set(name, {
        unsupported: `authorizer '${name}' is not a Lambda authorizer (Cognito is not emulated)`,
      });
      continue;
    }
    const identity = asRecord(definition.Identity, `${where}.Properties.Auth.Authorizers.${name}.Identity`);
    const expression = optionalString(identity.ValidationExpression);
    let pattern: RegExp | undefined;
    try {
      pattern = expression === undefined ? undefined : validationPattern(expression);
    } catch (error) {
      throw new TemplateError(
        `${where}.Properties.Auth.Authorizers.${name}.Identity.ValidationExpression: ${(error as Error).message}`,
      );
    }
    const reauthorize = identity.ReauthorizeEvery === undefined ? 300 : Number(identity.ReauthorizeEvery);
    const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
    authorizers.set(name, {
      name,
      payloadType: definition.FunctionPayloadType === "REQUEST" ? "REQUEST" : "TOKEN",
      functionArn,
      identityHeader: optionalString(identity.Header) ?? "Authorization",
      validationPattern: pattern,
      reauthorizeEvery: Number.isFinite(reauthorize) ? reauthorize : 300,
      identityHeaders: strings(identity.Headers),
      identityQueryStrings: strings(identity.QueryStrings),
    });
  }
  return authorizers;
}

function unquote(value: unknown): string | undefined {
  const text = optionalString(value);
  return text?.replace(/^'(.*)'$/, "$1");
}

function corsOf(value: unknown): CorsDefinition | undefined {
  if (value === undefined || value === NO_VALUE) return undefined;
  if (typeof value === "string") return { allowOrigin: unquote(value) ?? "*" };
  if (!isPlainMap(value)) return undefined;
  return {
    allowOrigin: unquote(value.AllowOrigin) ?? "*",
    allowMethods: unquote(value.AllowMethods),
    allowHeaders: unquote(value.AllowHeaders),
    maxAge: unquote(value.MaxAge),
    allowCredentials: value.AllowCredentials === true,
  };
}

function planRoute(
  functionId: string,
  properties: Record<string, unknown>,
  evaluator: TemplateEvaluator,
  where: string,
  ownApis: LocalApi[],
  apis: Map<string, PlannedApi>,
): { apiLogicalId: string; route: RouteDefinition } {
  let apiLogicalId = IMPLICIT_API;
  const restApi = properties.RestApiId;
  if (restApi !== undefined) {
    const ref = isPlainMap(restApi) ? restApi.Ref : undefined;
    if (typeof ref === "string") apiLogicalId = ref;
    else {
      const apiId = evaluator.evaluateString(restApi, `${where}.Properties.RestApiId`);
      const match = ownApis.find((api) => api.apiId === apiId || api.logicalId === apiId);
      if (!match)
        throw new TemplateError(`${where}.Properties.RestApiId: '${apiId}' is not an API of this template`);
      apiLogicalId = match.logicalId;
    }
  }
  const api = apis.get(apiLogicalId);
  if (!api)
    throw new TemplateError(`${where}.Properties.RestApiId: no AWS::Serverless::Api '${apiLogicalId}'`);
  const path = evaluator.evaluateString(properties.Path, `${where}.Properties.Path`);
  const method = evaluator.evaluateString(properties.Method, `${where}.Properties.Method`).toUpperCase();
  if (!path.startsWith("/")) throw new TemplateError(`${where}.Properties.Path: must start with /`);
  const routeAuth = asRecord(
    evaluator.evaluate(properties.Auth, `${where}.Properties.Auth`),
    `${where}.Properties.Auth`,
  );
  const authorizerName = optionalString(routeAuth.Authorizer) ?? api.defaultAuth ?? "NONE";
  let auth: RouteAuth;
  if (authorizerName === "NONE") auth = { kind: "NONE" };
  else if (authorizerName === "AWS_IAM") auth = { kind: "AWS_IAM" };
  else {
    const authorizer = api.authorizers.get(authorizerName);
    if (!authorizer)
      throw new TemplateError(`${where}.Properties.Auth.Authorizer: unknown authorizer '${authorizerName}'`);
    auth =
      "unsupported" in authorizer
        ? { kind: "UNSUPPORTED", reason: authorizer.unsupported }
        : { kind: "LAMBDA", authorizer };
  }
  return {
    apiLogicalId,
    route: {
      method: method === "ANY" ? "ANY" : method,
      path,
      auth,
      integration: { type: "AWS_PROXY", functionId },
    },
  };
}
