import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  deployOrder,
  displayPath,
  ENVIRONMENTS_FILE,
  type Environment,
  loadEnvironments,
  loadServices,
  type Service,
  SRC,
  stackName,
  type TemplateConfiguration,
  templateConfiguration,
} from "./project";
import { checkSsmContracts } from "./ssm-contract";

export interface ProjectOptions {
  /** Directory holding one folder per service (default: src/). */
  srcDir?: string;
  /** Default: environments.yaml at the repository root. */
  environmentsPath?: string;
}

export interface Project {
  /** In deploy order: dependencies first. */
  services: Service[];
  environments: Map<string, Environment>;
  environmentsFile: string;
}

export interface GeneratedConfiguration {
  environment: string;
  service: string;
  stackName: string;
  configuration: TemplateConfiguration;
}

/**
 * Loads and cross-checks everything deploy tooling relies on: schemas, the
 * dependency graph, the SSM contract between templates, and that
 * environments.yaml only configures services that exist.
 */
export function loadProject(options: ProjectOptions = {}): Project {
  const environmentsPath = options.environmentsPath ?? ENVIRONMENTS_FILE;
  const environmentsFile = displayPath(environmentsPath);
  const environments = loadEnvironments(environmentsPath);
  const services = deployOrder(loadServices(options.srcDir ?? SRC));
  checkSsmContracts(services);
  const known = new Set(services.map((service) => service.name));
  for (const environment of environments.values()) {
    for (const name of Object.keys(environment.services)) {
      if (!known.has(name)) {
        throw new Error(
          `${environmentsFile}: environments.${environment.name}.services.${name}: unknown service '${name}' (services: ${[...known].join(", ")})`,
        );
      }
    }
  }
  return { services, environments, environmentsFile };
}

export function environmentNames(project: Project): string[] {
  return [...project.environments.keys()];
}

/** Every service x environment, in deploy order; throws on the first inconsistency. */
export function generateConfigurations(
  project: Project,
  environments = environmentNames(project),
): GeneratedConfiguration[] {
  const generated: GeneratedConfiguration[] = [];
  for (const name of environments) {
    const environment = project.environments.get(name);
    if (!environment) {
      throw new Error(
        `Unknown environment '${name}'; ${project.environmentsFile} has: ${environmentNames(project).join(", ")}`,
      );
    }
    for (const service of project.services) {
      generated.push({
        environment: name,
        service: service.name,
        stackName: stackName(name, service.name),
        configuration: templateConfiguration(service, environment, project.environmentsFile),
      });
    }
  }
  return generated;
}

export function configurationPath(outDir: string, environment: string, service: string): string {
  return join(outDir, environment, `${service}.json`);
}

/** Writes `<outDir>/<env>/<service>.json`; returns the paths written. */
export function writeConfigurations(generated: GeneratedConfiguration[], outDir: string): string[] {
  return generated.map((entry) => {
    const path = configurationPath(outDir, entry.environment, entry.service);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(entry.configuration, null, 2)}\n`);
    return path;
  });
}

/** The requested services (all when none), kept in deploy order whatever order they were named in. */
export function selectServices(ordered: Service[], requested: string[]): Service[] {
  if (requested.length === 0) return ordered;
  const known = new Set(ordered.map((service) => service.name));
  const unknown = requested.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new Error(`unknown service(s) ${unknown.join(", ")} (services: ${[...known].join(", ")})`);
  }
  return ordered.filter((service) => requested.includes(service.name));
}
