import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parse } from "yaml";
import * as z from "zod";
import { type CfnParameter, type CfnTemplate, loadTemplate } from "./cfn-yaml";

/** A template nested from a local path, with those it nests in turn (docs/conventions.md). */
export interface NestedTemplate {
  templatePath: string;
  template: CfnTemplate;
  applications?: Record<string, NestedTemplate>;
}

/** Repository root: tools/lib -> ../.. */
export const ROOT = resolve(__dirname, "..", "..");
export const SRC = join(ROOT, "src");
export const ENVIRONMENTS_FILE = join(ROOT, "environments.yaml");

/** `/meridian/{Environment}/{service}/{name}/{type}`, as metadata.yaml writes it. */
export const SSM_NAME_PATTERN = /^\/meridian\/\{Environment\}\/([a-z0-9-]+)\/([a-z0-9-]+)\/([a-z0-9-]+)$/;

// Error messages below say what was expected in words a person editing the
// YAML understands; zod's defaults talk about schemas.
const parameterValue = z
  .union([z.string(), z.number(), z.boolean()], {
    error: "expected a string, number or boolean",
  })
  .transform(String);

function strictObject<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `expected one of ${allowed}` : undefined),
  });
}

const metadataSchema = strictObject({
  name: z
    .string({ error: "expected a service name (string)" })
    .regex(/^[a-z][a-z0-9-]*$/, "expected a lower-case service name such as 'auth'"),
  dependencies: z
    .array(z.string({ error: "expected a service name (string)" }), {
      error: "expected a list of service names, e.g. [auth]",
    })
    .default([]),
  parameters: z
    .record(
      z.string().regex(/^[A-Za-z0-9]+$/, "expected a CloudFormation parameter name (letters and digits)"),
      z.string({ error: "expected an SSM name (string)" }).regex(SSM_NAME_PATTERN, {
        message: "expected an SSM name of the form /meridian/{Environment}/{service}/{name}/{type}",
      }),
      { error: "expected a map of CloudFormation parameter name to SSM name" },
    )
    .default({}),
});

const parameterMap = z.record(
  z.string().regex(/^[A-Za-z0-9]+$/, "expected a CloudFormation parameter name (letters and digits)"),
  parameterValue,
  { error: "expected a map of parameter name to value" },
);

const environmentSchema = strictObject({
  region: z
    .string({ error: "expected an AWS region such as us-east-1" })
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "expected an AWS region such as us-east-1"),
  parameters: parameterMap.default({}),
  services: z
    .record(z.string(), parameterMap, { error: "expected a map of service name to its parameters" })
    .default({}),
  tags: z
    .record(z.string(), z.string({ error: "expected a string tag value" }), {
      error: "expected a map of tag name to value",
    })
    .default({}),
  flags: strictObject({
    requireApproval: z.boolean({ error: "expected true or false" }).default(false),
  }).default({ requireApproval: false }),
});

const environmentsFileSchema = strictObject({
  environments: z
    .record(
      z.string().regex(/^[a-z][a-z0-9-]*$/, "expected a lower-case environment name such as 'dev'"),
      environmentSchema,
      { error: "expected a map of environment name to its settings" },
    )
    .superRefine((environments, ctx) => {
      for (const [name, environment] of Object.entries(environments)) {
        const tag = environment.tags.Environment;
        // Stacks are found and billed by this tag; a copy-pasted block that
        // still says `dev` would mislabel a whole environment.
        if (tag !== undefined && tag !== name) {
          ctx.addIssue({
            code: "custom",
            path: [name, "tags", "Environment"],
            message: `expected '${name}' (the environment's name), got '${tag}'`,
          });
        }
      }
    }),
});

export type ServiceMetadata = z.infer<typeof metadataSchema>;
export type Environment = z.infer<typeof environmentSchema> & { name: string };

export interface Service {
  name: string;
  dir: string;
  templatePath: string;
  metadata: ServiceMetadata;
  template: CfnTemplate;
  /** The templates it nests from local paths (src/shared/templates), by logical id. */
  applications?: Record<string, NestedTemplate>;
}

/** The nested stack resources whose Location is a local path, as `sam build` and `sam package` read them. */
function localApplications(template: CfnTemplate, templatePath: string): Record<string, NestedTemplate> {
  const applications: Record<string, NestedTemplate> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== "AWS::Serverless::Application") continue;
    const location = resource.Properties?.Location;
    if (typeof location !== "string" || /^(s3|https?):\/\//.test(location)) continue;
    const path = resolve(dirname(templatePath), location);
    if (!existsSync(path)) {
      throw new Error(
        `${displayPath(templatePath)}: ${logicalId}.Properties.Location: ${displayPath(path)} not found`,
      );
    }
    const nested = loadTemplate(path);
    applications[logicalId] = {
      templatePath: path,
      template: nested,
      applications: localApplications(nested, path),
    };
  }
  return applications;
}

export interface TemplateConfiguration {
  Parameters: Record<string, string>;
  Tags: Record<string, string>;
}

/** A path relative to the repository, as people and CI logs name files. */
export function displayPath(path: string): string {
  const rel = relative(ROOT, path);
  return rel.startsWith("..") ? path : rel;
}

export function metadataPath(service: Service): string {
  return displayPath(join(service.dir, "metadata.yaml"));
}

export function templatePath(service: Service): string {
  return displayPath(service.templatePath);
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || "(top level)";
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return `'${value}'`;
  return `${typeof value} ${String(value)}`;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const custom = issue.message.startsWith("expected") ? issue.message : undefined;
  if (issue.code === "invalid_type") {
    // zod only reports `input` when asked (reportInput below); undefined means the key is absent.
    if (issue.input === undefined) return `missing; ${custom ?? `expected ${issue.expected}`}`;
    return `${custom ?? `expected ${issue.expected}`}, got ${describeValue(issue.input)}`;
  }
  if (issue.code === "invalid_key") {
    // The record-level message would hide why the key itself is wrong.
    const inner = issue.issues[0]?.message ?? issue.message;
    return `bad key; ${inner.startsWith("expected") ? inner : `expected ${inner}`}`;
  }
  if ((issue.code === "invalid_union" || issue.code === "invalid_format") && issue.input !== undefined) {
    return `${issue.message}, got ${describeValue(issue.input)}`;
  }
  return issue.message;
}

/** One line per problem: `<file>: <key path>: <what was expected>`. */
function describeIssues(file: string, error: z.ZodError): string {
  return error.issues
    .flatMap((issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys.map(
            (key) => `${file}: ${formatPath([...issue.path, key])}: unknown key; ${issue.message}`,
          )
        : [`${file}: ${formatPath(issue.path)}: ${describeIssue(issue)}`],
    )
    .join("\n");
}

function readYaml(path: string): unknown {
  const file = displayPath(path);
  if (!existsSync(path)) throw new Error(`${file}: file not found`);
  try {
    return parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${file}: not valid YAML: ${(error as Error).message}`);
  }
}

function parseWith<T extends z.ZodType>(schema: T, path: string): z.output<T> {
  const result = schema.safeParse(readYaml(path), { reportInput: true });
  if (!result.success) throw new Error(describeIssues(displayPath(path), result.error));
  return result.data;
}

function loadMetadata(path: string): ServiceMetadata {
  return parseWith(metadataSchema, path);
}

export function loadEnvironments(path = ENVIRONMENTS_FILE): Map<string, Environment> {
  const file = parseWith(environmentsFileSchema, path);
  return new Map(Object.entries(file.environments).map(([name, env]) => [name, { ...env, name }]));
}

export function loadEnvironment(name: string, path?: string): Environment {
  const environments = loadEnvironments(path);
  const environment = environments.get(name);
  if (!environment) {
    throw new Error(
      `Unknown environment '${name}'; ${displayPath(path ?? ENVIRONMENTS_FILE)} has: ${[...environments.keys()].join(", ")}`,
    );
  }
  return environment;
}

/** Every directory under src/ with both a template.yaml and a metadata.yaml is a service. */
export function loadServices(srcDir = SRC): Service[] {
  const services: Service[] = [];
  const entries = readdirSync(srcDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = join(srcDir, entry.name);
    const templateFile = join(dir, "template.yaml");
    const metadataFile = join(dir, "metadata.yaml");
    if (!existsSync(templateFile) || !existsSync(metadataFile)) continue;
    const metadata = loadMetadata(metadataFile);
    if (metadata.name !== entry.name) {
      throw new Error(
        `${displayPath(metadataFile)}: name: expected '${entry.name}' (the directory's name), got '${metadata.name}'`,
      );
    }
    const template = loadTemplate(templateFile);
    services.push({
      name: metadata.name,
      dir,
      templatePath: templateFile,
      metadata,
      template,
      applications: localApplications(template, templateFile),
    });
  }
  return services;
}

/** Dependencies first; throws on unknown names and on cycles, naming the cycle. */
export function deployOrder(services: Service[]): Service[] {
  const byName = new Map(services.map((service) => [service.name, service]));
  for (const service of services) {
    for (const dependency of service.metadata.dependencies) {
      if (dependency === service.name) {
        throw new Error(`${metadataPath(service)}: dependencies: '${dependency}' depends on itself`);
      }
      if (!byName.has(dependency)) {
        throw new Error(
          `${metadataPath(service)}: dependencies: unknown service '${dependency}' (services: ${[...byName.keys()].sort().join(", ")})`,
        );
      }
    }
  }
  const ordered: Service[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (service: Service, path: string[]): void => {
    const seen = state.get(service.name);
    if (seen === "done") return;
    if (seen === "visiting") {
      const cycle = [...path.slice(path.indexOf(service.name)), service.name];
      const files = [...new Set(cycle)].map((name) => {
        const member = byName.get(name);
        return member ? metadataPath(member) : name;
      });
      throw new Error(`Dependency cycle: ${cycle.join(" -> ")} (see dependencies in ${files.join(", ")})`);
    }
    state.set(service.name, "visiting");
    for (const dependency of [...service.metadata.dependencies].sort()) {
      const next = byName.get(dependency);
      if (next) visit(next, [...path, service.name]);
    }
    state.set(service.name, "done");
    ordered.push(service);
  };
  // Sorting makes the order stable across machines (readdir order is not).
  for (const service of [...services].sort((a, b) => a.name.localeCompare(b.name))) visit(service, []);
  return ordered;
}

/** Dependents first: a stack is deleted only once nothing resolves its SSM names any more. */
export function teardownOrder(services: Service[]): Service[] {
  return deployOrder(services).reverse();
}

export function stackName(environment: string, service: string): string {
  return `meridian-${environment}-${service}`;
}

export function substituteEnvironment(name: string, environment: string): string {
  return name.replaceAll("{Environment}", environment);
}

/**
 * Checks a value against what the template says about the parameter, so a
 * typo in environments.yaml fails here rather than minutes into a deploy.
 */
export function checkParameterValue(
  where: string,
  value: string,
  parameter: CfnParameter,
  template: string,
): void {
  if (parameter.Type === "Number" || parameter.Type === "List<Number>") {
    const numbers = parameter.Type === "Number" ? [value] : value.split(",");
    if (numbers.some((n) => n.trim() === "" || Number.isNaN(Number(n)))) {
      throw new Error(`${where}: expected a number (${template} declares ${parameter.Type}), got '${value}'`);
    }
    const number = Number(value);
    if (parameter.MinValue !== undefined && number < parameter.MinValue) {
      throw new Error(`${where}: ${value} is below MinValue ${parameter.MinValue} in ${template}`);
    }
    if (parameter.MaxValue !== undefined && number > parameter.MaxValue) {
      throw new Error(`${where}: ${value} is above MaxValue ${parameter.MaxValue} in ${template}`);
    }
  }
  if (parameter.AllowedValues && !parameter.AllowedValues.map(String).includes(value)) {
    throw new Error(
      `${where}: '${value}' is not one of the AllowedValues in ${template}: ${parameter.AllowedValues.join(", ")}`,
    );
  }
}

/**
 * The `{"Parameters", "Tags"}` file CodePipeline's CloudFormation actions and
 * the deploy tooling take: `Environment`, the environment's parameters, its
 * per-service parameters and the metadata's SSM names for this environment.
 * Everything offered must be declared by the template, and every declared
 * parameter without a default must be offered.
 */
export function templateConfiguration(
  service: Service,
  environment: Environment,
  environmentsFile = "environments.yaml",
): TemplateConfiguration {
  const declared = service.template.Parameters ?? {};
  const template = templatePath(service);
  const parameters: Record<string, string> = {};
  const sources: Record<string, string> = {};
  const offer = (name: string, value: string, source: string): void => {
    const parameter = declared[name];
    if (!parameter) {
      throw new Error(
        `${source}: parameter '${name}' is not declared by ${template} (it declares: ${Object.keys(declared).join(", ") || "nothing"})`,
      );
    }
    const earlier = sources[name];
    if (earlier !== undefined) {
      throw new Error(`${source}: parameter '${name}' is also provided by ${earlier}; keep one`);
    }
    checkParameterValue(source, value, parameter, template);
    parameters[name] = value;
    sources[name] = source;
  };
  const envKey = `${environmentsFile}: environments.${environment.name}`;
  offer("Environment", environment.name, `${envKey} (the environment's name)`);
  for (const [name, value] of Object.entries(environment.parameters)) {
    // Every template declares the shared parameters; a missing one is a template bug.
    offer(name, value, `${envKey}.parameters.${name}`);
  }
  for (const [name, value] of Object.entries(environment.services[service.name] ?? {})) {
    offer(name, value, `${envKey}.services.${service.name}.${name}`);
  }
  for (const [name, ssmName] of Object.entries(service.metadata.parameters)) {
    offer(
      name,
      substituteEnvironment(ssmName, environment.name),
      `${metadataPath(service)}: parameters.${name}`,
    );
  }
  const missing = Object.entries(declared)
    .filter(([name, parameter]) => parameters[name] === undefined && parameter.Default === undefined)
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new Error(
      `${template}: parameter(s) ${missing.join(", ")} have no Default and nothing provides them for environment '${environment.name}' (add them to ${environmentsFile} or ${metadataPath(service)})`,
    );
  }
  return {
    Parameters: parameters,
    Tags: { ...environment.tags, Environment: environment.name, Service: service.name },
  };
}
