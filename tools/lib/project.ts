import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { type CfnTemplate, loadTemplate } from "./cfn-yaml";

/** Repository root: tools/lib -> ../.. */
export const ROOT = resolve(__dirname, "..", "..");
export const SRC = join(ROOT, "src");

const parameterValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const metadataSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, "a lower-case service name"),
    dependencies: z.array(z.string()).default([]),
    parameters: z
      .record(
        z.string().regex(/^[A-Za-z0-9]+$/, "a CloudFormation parameter name"),
        z.string().regex(/^\/meridian\/\{Environment\}\/[a-z0-9-]+\/[a-z0-9-]+\/[a-z0-9-]+$/, {
          message: "an SSM name of the form /meridian/{Environment}/{service}/{name}/{type}",
        }),
      )
      .default({}),
  })
  .strict();

const environmentSchema = z
  .object({
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as us-east-1"),
    parameters: z.record(z.string(), parameterValue).default({}),
    services: z.record(z.string(), z.record(z.string(), parameterValue)).default({}),
    tags: z.record(z.string(), z.string()).default({}),
    flags: z.object({ requireApproval: z.boolean().default(false) }).strict().default({ requireApproval: false }),
  })
  .strict();

const environmentsFileSchema = z.object({ environments: z.record(z.string(), environmentSchema) }).strict();

export type ServiceMetadata = z.infer<typeof metadataSchema>;
export type Environment = z.infer<typeof environmentSchema> & { name: string };

export interface Service {
  name: string;
  dir: string;
  templatePath: string;
  metadata: ServiceMetadata;
  template: CfnTemplate;
}

export interface TemplateConfiguration {
  Parameters: Record<string, string>;
  Tags: Record<string, string>;
}

function describeIssues(file: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => `${file}: ${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("\n");
}

function readYaml(path: string): unknown {
  return parse(readFileSync(path, "utf8"));
}

export function loadMetadata(path: string): ServiceMetadata {
  const result = metadataSchema.safeParse(readYaml(path));
  if (!result.success) throw new Error(describeIssues(relative(ROOT, path), result.error));
  return result.data;
}

export function loadEnvironments(path = join(ROOT, "environments.yaml")): Map<string, Environment> {
  const result = environmentsFileSchema.safeParse(readYaml(path));
  if (!result.success) throw new Error(describeIssues(relative(ROOT, path), result.error));
  return new Map(Object.entries(result.data.environments).map(([name, env]) => [name, { ...env, name }]));
}

export function loadEnvironment(name: string, path?: string): Environment {
  const environments = loadEnvironments(path);
  const environment = environments.get(name);
  if (!environment) {
    throw new Error(`Unknown environment '${name}'; environments.yaml has: ${[...environments.keys()].join(", ")}`);
  }
  return environment;
}

/** Every directory under src/ with both a template.yaml and a metadata.yaml is a service. */
export function loadServices(srcDir = SRC): Service[] {
  const services: Service[] = [];
  for (const entry of readdirSync(srcDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(srcDir, entry.name);
    const templatePath = join(dir, "template.yaml");
    const metadataPath = join(dir, "metadata.yaml");
    if (!existsSync(templatePath) || !existsSync(metadataPath)) continue;
    const metadata = loadMetadata(metadataPath);
    if (metadata.name !== entry.name) {
      throw new Error(`${relative(ROOT, metadataPath)}: name: expected '${entry.name}' (the directory), got '${metadata.name}'`);
    }
    services.push({ name: metadata.name, dir, templatePath, metadata, template: loadTemplate(templatePath) });
  }
  return services;
}

/** Dependencies first; throws on unknown names and on cycles, naming the cycle. */
export function deployOrder(services: Service[]): Service[] {
  const byName = new Map(services.map((service) => [service.name, service]));
  for (const service of services) {
    for (const dependency of service.metadata.dependencies) {
      if (!byName.has(dependency)) {
        throw new Error(`src/${service.name}/metadata.yaml: dependencies: unknown service '${dependency}'`);
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
      throw new Error(`Dependency cycle: ${cycle.join(" -> ")}`);
    }
    state.set(service.name, "visiting");
    for (const dependency of [...service.metadata.dependencies].sort()) {
      visit(byName.get(dependency) as Service, [...path, service.name]);
    }
    state.set(service.name, "done");
    ordered.push(service);
  };
  for (const service of [...services].sort((a, b) => a.name.localeCompare(b.name))) visit(service, []);
  return ordered;
}

export function stackName(environment: string, service: string): string {
  return `meridian-${environment}-${service}`;
}

export function substituteEnvironment(name: string, environment: string): string {
  return name.replaceAll("{Environment}", environment);
}

/**
 * The `{"Parameters", "Tags"}` file CodePipeline's CloudFormation actions and
 * the deploy tooling take. Only parameters the template declares are passed;
 * a declared parameter without a default that nothing provides is an error.
 */
export function templateConfiguration(service: Service, environment: Environment): TemplateConfiguration {
  const declared = service.template.Parameters ?? {};
  const parameters: Record<string, string> = {};
  const offer = (name: string, value: string, source: string, required: boolean): void => {
    if (!(name in declared)) {
      if (required) {
        throw new Error(`${source}: parameter '${name}' is not declared by src/${service.name}/template.yaml`);
      }
      return;
    }
    parameters[name] = value;
  };
  offer("Environment", environment.name, "environment", true);
  for (const [name, value] of Object.entries(environment.parameters)) {
    // Every template declares the shared parameters; a missing one is a template bug.
    offer(name, value, `environments.yaml: environments.${environment.name}.parameters`, true);
  }
  for (const [name, value] of Object.entries(environment.services[service.name] ?? {})) {
    offer(name, value, `environments.yaml: environments.${environment.name}.services.${service.name}`, true);
  }
  for (const [name, ssmName] of Object.entries(service.metadata.parameters)) {
    offer(name, substituteEnvironment(ssmName, environment.name), `src/${service.name}/metadata.yaml: parameters`, true);
  }
  const missing = Object.entries(declared)
    .filter(([name, parameter]) => parameters[name] === undefined && parameter.Default === undefined)
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new Error(
      `src/${service.name}/template.yaml: parameters ${missing.join(", ")} have no default and nothing provides them (environments.yaml or metadata.yaml)`,
    );
  }
  return {
    Parameters: parameters,
    Tags: { ...environment.tags, Service: service.name },
  };
}
