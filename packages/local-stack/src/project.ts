import type { BuildOptions } from "esbuild";

/**
 * What the local stack needs from the project that runs it, passed in by the
 * caller (`startLocalStack({project})`): where its services are, in which
 * order, its environments, how its stacks are named and how a template's
 * parameters are configured. The package itself knows no service by name.
 */

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  Condition?: string;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface CfnParameter {
  Type: string;
  Default?: string | number;
  AllowedValues?: Array<string | number>;
  Description?: string;
  MinValue?: number;
  MaxValue?: number;
}

export interface CfnTemplate {
  AWSTemplateFormatVersion?: string;
  Transform?: string | string[];
  Description?: string;
  Parameters?: Record<string, CfnParameter>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Conditions?: Record<string, unknown>;
  Globals?: Record<string, Record<string, unknown>>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Export?: unknown }>;
}

/**
 * A template nested in another as an `AWS::Serverless::Application` (or
 * `AWS::CloudFormation::Stack`) with a local path, by the nesting resource's logical id.
 */
export interface NestedTemplate {
  templatePath: string;
  template: CfnTemplate;
  applications?: Record<string, NestedTemplate>;
}

/** One service: a folder with a SAM template and its metadata (docs/conventions.md). */
export interface ProjectService {
  name: string;
  dir: string;
  templatePath: string;
  metadata: { name: string; dependencies: string[]; parameters: Record<string, string> };
  template: CfnTemplate;
  /** The templates its own nests from local paths (src/shared/templates), read with it. */
  applications?: Record<string, NestedTemplate>;
}

export interface ProjectEnvironment {
  name: string;
  region: string;
}

/** What CloudFormation is given for a stack: its parameter values and tags. */
export interface TemplateConfiguration {
  Parameters: Record<string, string>;
  Tags: Record<string, string>;
}

/** A function of a template and the esbuild options SAM would build it with. */
export interface FunctionSpec {
  service: string;
  logicalId: string;
  /** `register.handler` -> module `register`, export `handler`. */
  handler: string;
  moduleName: string;
  exportName: string;
  entryPoint: string;
  buildOptions: BuildOptions;
  resource: CfnResource;
}

export interface LocalProject {
  /** The project's root: `.local/` (data, builds) lives there by default. */
  root: string;
  /** The services found in `srcDir` (the project's own when undefined), in deploy order. */
  loadServices(srcDir?: string): ProjectService[];
  /** An environment by name, from `file` (the project's own when undefined). */
  loadEnvironment(name: string, file?: string): ProjectEnvironment;
  /** The CloudFormation stack a service is deployed as in an environment. */
  stackName(environment: string, service: string): string;
  templateConfiguration(service: ProjectService, environment: ProjectEnvironment): TemplateConfiguration;
  listFunctions(service: ProjectService): FunctionSpec[];
}
