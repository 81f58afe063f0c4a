import type { IdentityPolicy } from "../../../../../tools/local/identity-policy";
import type { RequestModels } from "../models/request-model";
import type { MappingTemplate } from "../vtl";

/**
 * A non-proxy integration as the local stack runs it, read from an API's DefinitionBody
 * (`x-amazon-apigateway-integration` of type `aws`): a Lambda function invoked with the rendered
 * request template, or a DynamoDB action called as the integration's role.
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
  /** By content type. */
  responseTemplates: Record<string, MappingTemplate>;
  /** `method.response.header.X` -> `'static'` or `integration.response.header.Y`. */
  responseParameters: Record<string, string>;
}

export interface BodyValidation {
  models: RequestModels;
  /** Model name by content type. */
  modelByContentType: Record<string, string>;
}

export interface NonProxyIntegration {
  target: IntegrationTarget;
  role?: IntegrationRole;
  requestTemplates: Record<string, MappingTemplate>;
  /** WHEN_NO_MATCH (default), WHEN_NO_TEMPLATES or NEVER. */
  passthroughBehavior: "WHEN_NO_MATCH" | "WHEN_NO_TEMPLATES" | "NEVER";
  /** Non-default responses in declaration order, then the default one (if any). */
  responses: IntegrationResponseDefinition[];
  validateBody?: BodyValidation;
  /** `method.request.*` parameters a parameter validator requires. */
  requiredParameters: string[];
  /** What this integration uses that the local stack cannot run: every request fails closed. */
  unsupported: string[];
}
