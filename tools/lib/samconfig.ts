import { join, relative } from "node:path";
import type { CfnResource, CfnTemplate } from "./cfn-yaml";
import type { Project } from "./configurations";
import {
  checkParameterValue,
  displayPath,
  type Environment,
  ROOT,
  type Service,
  substituteEnvironment,
  templateConfiguration,
} from "./project";

export const SAMCONFIG_FILE = join(ROOT, "samconfig.toml");
export const ROOT_TEMPLATE_FILE = join(ROOT, "template.yaml");

/** The local stack runs without SAM; every other environment is a `sam deploy --config-env` target. */
const LOCAL_ENVIRONMENT = "local";

const CAPABILITIES = "CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND";

/** The environment's one stack; each service is a nested stack in it. */
export function rootStackName(environment: string): string {
  return `meridian-${environment}`;
}

/**
 * What the root template is given for an environment: `Environment`, the
 * shared parameters, and every per-service parameter under its own name (the
 * root passes them down to the nested stack that declares them).
 */
export function rootParameters(
  environment: Environment,
  environmentsFile = "environments.yaml",
): Record<string, string> {
  const parameters: Record<string, string> = { Environment: environment.name, ...environment.parameters };
  const origin: Record<string, string> = {};
  for (const [service, values] of Object.entries(environment.services).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    for (const [name, value] of Object.entries(values)) {
      const where = `environments.${environment.name}.services.${service}.${name}`;
      const earlier = origin[name];
      if (name in environment.parameters || name === "Environment") {
        throw new Error(
          `${environmentsFile}: ${where}: '${name}' is also a shared parameter; the root template has one '${name}'`,
        );
      }
      if (earlier !== undefined && parameters[name] !== value) {
        throw new Error(
          `${environmentsFile}: ${where}: '${value}' differs from ${earlier} ('${parameters[name]}'); the root template has one '${name}'`,
        );
      }
      parameters[name] = value;
      origin[name] = where;
    }
  }
  return parameters;
}

/** The root stack's tags; CloudFormation copies them to every nested stack and resource. */
export function rootTags(environment: Environment): Record<string, string> {
  return { ...environment.tags, Environment: environment.name };
}

function tomlString(value: string): string {
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** SAM's key-value form: space-separated `Key="value"` pairs inside one TOML string. */
function keyValuePairs(values: Record<string, string>, what: string): string {
  return Object.entries(values)
    .map(([key, value]) => {
      // SAM splits these pairs itself; a quote inside a value cannot round-trip.
      if (value.includes('"'))
        throw new Error(`${what}.${key}: a value with a double quote cannot go into samconfig.toml`);
      return `${key}="${value}"`;
    })
    .join(" ");
}

export function samconfigEnvironments(project: Project): Environment[] {
  return [...project.environments.values()].filter((environment) => environment.name !== LOCAL_ENVIRONMENT);
}

/** samconfig.toml, generated from environments.yaml; the committed file must equal this. */
export function renderSamconfig(project: Project): string {
  const lines = [
    `# Generated from ${project.environmentsFile} by \`npm run configs -- --samconfig\`; do not edit.`,
    "# A unit test fails when this file and environments.yaml disagree.",
    "# Deploy the root stack with: npm run sam:build && npm run sam:deploy -- --config-env <env>",
    "version = 0.1",
  ];
  for (const environment of samconfigEnvironments(project)) {
    const parameters = rootParameters(environment, project.environmentsFile);
    const tags = rootTags(environment);
    const key = `environments.${environment.name}`;
    lines.push(
      "",
      `[${environment.name}.build.parameters]`,
      "cached = true",
      "parallel = true",
      "",
      `[${environment.name}.deploy.parameters]`,
      `stack_name = ${tomlString(rootStackName(environment.name))}`,
      `region = ${tomlString(environment.region)}`,
      `capabilities = ${tomlString(CAPABILITIES)}`,
      "resolve_s3 = true",
      `s3_prefix = ${tomlString(rootStackName(environment.name))}`,
      `confirm_changeset = ${environment.flags.requireApproval}`,
      // Same rule as tools/deploy and the pipeline: an unchanged stack is a success.
      "fail_on_empty_changeset = false",
      `parameter_overrides = ${tomlString(keyValuePairs(parameters, `${key}.parameters`))}`,
      `tags = ${tomlString(keyValuePairs(tags, `${key}.tags`))}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function applications(root: CfnTemplate): Array<[string, CfnResource]> {
  return Object.entries(root.Resources).filter(
    ([, resource]) => resource.Type === "AWS::Serverless::Application",
  );
}

function dependsOn(resource: CfnResource): string[] {
  if (resource.DependsOn === undefined) return [];
  return typeof resource.DependsOn === "string" ? [resource.DependsOn] : resource.DependsOn;
}

function isRef(value: unknown, name: string): boolean {
  return typeof value === "object" && value !== null && (value as { Ref?: unknown }).Ref === name;
}

function isSub(value: unknown, text: string): boolean {
  if (typeof value !== "object" || value === null) return false;
  const sub = (value as { "Fn::Sub"?: unknown })["Fn::Sub"];
  return sub === text || (Array.isArray(sub) && sub[0] === text);
}

/**
 * The root template (services nested as AWS::Serverless::Application) must
 * agree with samconfig.toml and with each service: it declares what
 * samconfig passes, nests every service from its src/ template, passes each
 * nested stack exactly the parameters its template configuration has
 * (shared ones by Ref, consumed SSM names by !Sub), and orders nested stacks
 * by metadata dependencies.
 */
export function checkRootTemplate(root: CfnTemplate, project: Project, rootFile = "template.yaml"): void {
  const declared = root.Parameters ?? {};
  for (const environment of samconfigEnvironments(project)) {
    const parameters = rootParameters(environment, project.environmentsFile);
    for (const [name, value] of Object.entries(parameters)) {
      const parameter = declared[name];
      const where = `${project.environmentsFile}: environments.${environment.name}: ${name}`;
      if (!parameter) {
        throw new Error(`${where}: samconfig.toml passes '${name}' but ${rootFile} does not declare it`);
      }
      checkParameterValue(where, value, parameter, rootFile);
    }
    for (const [name, parameter] of Object.entries(declared)) {
      if (parameter.Default === undefined && !(name in parameters)) {
        throw new Error(
          `${rootFile}: Parameters.${name} has no Default and samconfig.toml does not pass it for '${environment.name}'`,
        );
      }
    }
  }

  const nested = new Map<string, [string, CfnResource]>();
  for (const [logicalId, resource] of applications(root)) {
    const location = resource.Properties?.Location;
    if (typeof location !== "string") continue;
    const service = project.services.find(
      (candidate) =>
        relative(ROOT, candidate.templatePath) === location || candidate.templatePath === location,
    );
    if (!service) {
      throw new Error(
        `${rootFile}: ${logicalId}.Properties.Location: '${location}' is not the template of a service`,
      );
    }
    nested.set(service.name, [logicalId, resource]);
  }

  for (const service of project.services) {
    const entry = nested.get(service.name);
    if (!entry) {
      throw new Error(
        `${rootFile}: no AWS::Serverless::Application with Location ${displayPath(service.templatePath)} (service '${service.name}')`,
      );
    }
    checkNestedService(rootFile, entry, service, project, nested);
  }
}

function checkNestedService(
  rootFile: string,
  [logicalId, resource]: [string, CfnResource],
  service: Service,
  project: Project,
  nested: Map<string, [string, CfnResource]>,
): void {
  const where = `${rootFile}: ${logicalId}`;
  const passed = (resource.Properties?.Parameters ?? {}) as Record<string, unknown>;
  const expected = new Set<string>();
  for (const environment of samconfigEnvironments(project)) {
    for (const name of Object.keys(templateConfiguration(service, environment).Parameters))
      expected.add(name);
  }
  for (const name of expected) {
    if (!(name in passed)) {
      throw new Error(
        `${where}.Properties.Parameters: does not pass '${name}' to ${displayPath(service.templatePath)}`,
      );
    }
    const ssmName = service.metadata.parameters[name];
    if (ssmName !== undefined) {
      // CloudFormation's own placeholder, not a JavaScript one.
      const text = substituteEnvironment(ssmName, `\${Environment}`);
      if (!isSub(passed[name], text)) {
        throw new Error(
          `${where}.Properties.Parameters.${name}: expected !Sub ${text} (from ${service.name}'s metadata.yaml)`,
        );
      }
    } else if (!isRef(passed[name], name)) {
      throw new Error(`${where}.Properties.Parameters.${name}: expected !Ref ${name}`);
    }
  }
  const declared = service.template.Parameters ?? {};
  for (const name of Object.keys(passed)) {
    if (!(name in declared)) {
      throw new Error(
        `${where}.Properties.Parameters.${name}: not declared by ${displayPath(service.templatePath)}`,
      );
    }
  }
  const after = dependsOn(resource);
  for (const dependency of service.metadata.dependencies) {
    const dependencyId = nested.get(dependency)?.[0];
    if (dependencyId && !after.includes(dependencyId)) {
      throw new Error(
        `${where}.DependsOn: expected to include ${dependencyId} (${service.name} depends on ${dependency}, whose SSM names it resolves)`,
      );
    }
  }
}
