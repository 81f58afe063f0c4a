import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";
import type { IdentityPolicy, ResourcePolicy } from "../iam";
import type { FunctionSpec, ProjectService as Service } from "../project";
import type { ParameterValue } from "./intrinsics";

/** What the local stack reads out of one service's template, fully resolved. */

export interface AuthorizerDefinition {
  /** Name under Auth.Authorizers; also the cache namespace. */
  name: string;
  payloadType: "TOKEN" | "REQUEST";
  functionArn: string;
  /** TOKEN: the header carrying the token. */
  identityHeader: string;
  /** TOKEN: Identity.ValidationExpression, compiled once at plan time (see `validationPattern`). */
  validationPattern?: RegExp;
  /** Seconds API Gateway caches a policy for one identity; 0 turns caching off. */
  reauthorizeEvery: number;
  /** REQUEST: identity sources. */
  identityHeaders: string[];
  identityQueryStrings: string[];
}

export type RouteAuth =
  | { kind: "NONE" }
  | { kind: "AWS_IAM" }
  | { kind: "LAMBDA"; authorizer: AuthorizerDefinition }
  | { kind: "UNSUPPORTED"; reason: string };

export interface RouteDefinition {
  /** Upper case; ANY matches every method. */
  method: string;
  /** Resource path as declared: `/locations/{userId}`, `/{proxy+}`. */
  path: string;
  auth: RouteAuth;
  integration: IntegrationDefinition;
}

/** What a route hands the request to, by API Gateway's integration type. */
export type IntegrationDefinition = { type: "AWS_PROXY"; functionId: string } | AwsIntegration;

/**
 * A non-proxy integration from an API's DefinitionBody (`x-amazon-apigateway-integration` of type
 * `aws`): a Lambda function invoked with the rendered request template, or a DynamoDB action
 * called as the integration's role. Templates are VTL text; the gateway compiles them.
 */
export type IntegrationTarget =
  | { kind: "lambda"; functionArn: string }
  | { kind: "dynamodb"; action: string };

/** The role API Gateway assumes for the call (`credentials`), with what its policies allow. */
export interface IntegrationRole {
  roleArn: string;
  /** The local caller standing for API Gateway's session of the role. */
  callerId: string;
  identityPolicy: IdentityPolicy;
}

export interface IntegrationResponseDefinition {
  /** `selectionPattern`; undefined for the default response. Matched against the whole string. */
  selectionPattern?: string;
  statusCode: number;
  /** VTL by content type. */
  responseTemplates: Record<string, string>;
  /** Header name -> `'static'` or `integration.response.header.Y`. */
  responseParameters: Record<string, string>;
}

export interface AwsIntegration {
  type: "AWS";
  target: IntegrationTarget;
  role?: IntegrationRole;
  /** VTL by content type (lower case). */
  requestTemplates: Record<string, string>;
  passthroughBehavior: "WHEN_NO_MATCH" | "WHEN_NO_TEMPLATES" | "NEVER";
  /** Non-default responses in declaration order, then the default one (if any). */
  responses: IntegrationResponseDefinition[];
  /** With a body validator: the model (in ApiDefinition.models) by content type. */
  bodyModels?: Record<string, string>;
  /** `method.request.*` parameters a parameter validator requires. */
  requiredParameters: string[];
  /** What this integration uses that the local stack cannot run: every request fails closed. */
  unsupported: string[];
}

export interface GatewayResponseDefinition {
  StatusCode?: string | number;
  ResponseParameters?: Record<string, unknown>;
  ResponseTemplates?: Record<string, string>;
}

export interface CorsDefinition {
  allowOrigin: string;
  allowMethods?: string;
  allowHeaders?: string;
  maxAge?: string;
  allowCredentials?: boolean;
}

export interface ApiDefinition {
  service: string;
  logicalId: string;
  apiId: string;
  stage: string;
  /**
   * First path segment on the gateway's own port (`auth` for
   * http://127.0.0.1:3000/auth), as the site's CloudFront distribution serves
   * the API beside the page.
   */
  mount: string;
  /** `{origin}/{stage}` on the API's own port: what its execute-api URL is on AWS. */
  baseUrl: string;
  routes: RouteDefinition[];
  gatewayResponses: Record<string, GatewayResponseDefinition>;
  binaryMediaTypes: string[];
  cors?: CorsDefinition;
  /** The stage's Variables (`$stageVariables`, and the proxy event's `stageVariables`). */
  stageVariables: Record<string, string>;
  /** The DefinitionBody's models (JSON Schema draft 4), by name. */
  models: Record<string, unknown>;
  /** Auth.ResourcePolicy, with `execute-api:/` resources expanded; undefined when the API has none. */
  resourcePolicy?: ResourcePolicy;
}

export interface ScheduleDefinition {
  name: string;
  expression: string;
  /** Milliseconds between runs; undefined for cron expressions, which are not run locally. */
  everyMs?: number;
  input?: unknown;
}

export interface FunctionDefinition {
  /** `service/LogicalId`. */
  id: string;
  service: string;
  logicalId: string;
  functionName: string;
  arn: string;
  /** The role it runs as: its Role, or the one SAM generates (`<LogicalId>Role` under RolePath). */
  roleArn: string;
  /** What that role's identity-based policies allow; enforced on the AWS calls the function makes locally. */
  identityPolicy: IdentityPolicy;
  spec: FunctionSpec;
  /** The template's variables (Globals merged), resolved. Lambda's own variables are added by the runtime. */
  environment: Record<string, string>;
  timeoutSeconds: number;
  memorySize: number;
  runtime: string;
  logFormat: "Text" | "JSON";
  logGroupName: string;
  applicationLogLevel?: string;
  reservedConcurrency?: number;
  schedules: ScheduleDefinition[];
}

export interface TableDefinition {
  logicalId: string;
  input: CreateTableCommandInput & { TableName: string };
}

export interface GenerateSecretOptions {
  PasswordLength?: number;
  ExcludeCharacters?: string;
  ExcludeLowercase?: boolean;
  ExcludeNumbers?: boolean;
  ExcludePunctuation?: boolean;
  ExcludeUppercase?: boolean;
  IncludeSpace?: boolean;
  RequireEachIncludedType?: boolean;
  GenerateStringKey?: string;
  SecretStringTemplate?: string;
}

export interface SecretDefinition {
  logicalId: string;
  name: string;
  arn: string;
  description?: string;
  secretString?: string;
  generate?: GenerateSecretOptions;
}

export interface ParameterDefinition {
  logicalId: string;
  name: string;
  type: "String" | "StringList" | "SecureString";
  value: string;
  description?: string;
}

export interface ServicePlan {
  service: Service;
  stackName: string;
  parameters: Record<string, ParameterValue>;
  tables: TableDefinition[];
  secrets: SecretDefinition[];
  ssmParameters: ParameterDefinition[];
  functions: FunctionDefinition[];
  apis: ApiDefinition[];
  /** Template features the local stack skips; shown once at start. */
  warnings: string[];
}
