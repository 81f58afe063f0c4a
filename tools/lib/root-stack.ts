import { createHash } from "node:crypto";
import { relative } from "node:path";
import type { ArtifactStore, StoredArtifact } from "./artifacts";
import { type CfnTemplate, loadTemplate } from "./cfn-yaml";
import type { GeneratedConfiguration, Project } from "./configurations";
import { type Bundles, bundleServices, type PackagedService, packageService } from "./package";
import { displayPath, type Environment, ROOT, type Service } from "./project";
import {
  ROOT_TEMPLATE_FILE,
  rootParameters,
  rootStackName,
  rootTags,
  samconfigEnvironments,
} from "./samconfig";

/**
 * The one deploy model: an environment is the root template's stack
 * `meridian-<env>`, one nested stack per service. `sam deploy --config-env`
 * (samconfig.toml), `npm run deploy` and the pipeline all take the stack
 * name, template and parameters from here, so they manage the same stacks.
 */
export interface RootDeployment {
  environment: string;
  region: string;
  stackName: string;
  /** Repository-relative path of the template deployed (before packaging). */
  template: string;
  parameters: Record<string, string>;
  tags: Record<string, string>;
}

/** How the root stack is labelled in deployment state and logs. */
export const ROOT_STACK = "root";

export function rootDeployment(
  environment: Environment,
  environmentsFile = "environments.yaml",
): RootDeployment {
  return {
    environment: environment.name,
    region: environment.region,
    stackName: rootStackName(environment.name),
    template: displayPath(ROOT_TEMPLATE_FILE),
    parameters: rootParameters(environment, environmentsFile),
    tags: rootTags(environment),
  };
}

/** The root stack's `{"Parameters", "Tags"}` for every deployable environment (not `local`). */
export function rootConfigurations(project: Project, names?: string[]): GeneratedConfiguration[] {
  return samconfigEnvironments(project)
    .filter((environment) => !names || names.includes(environment.name))
    .map((environment) => {
      const deployment = rootDeployment(environment, project.environmentsFile);
      return {
        environment: environment.name,
        service: ROOT_STACK,
        stackName: deployment.stackName,
        configuration: { Parameters: deployment.parameters, Tags: deployment.tags },
      };
    });
}

function serviceAt(project: Project, location: string): Service | undefined {
  return project.services.find(
    (service) => relative(ROOT, service.templatePath) === location || service.templatePath === location,
  );
}

/** A copy of the root template whose nested stacks' Locations are their packaged templates' URLs. */
function packagedRootTemplate(
  root: CfnTemplate,
  project: Project,
  templateUrls: ReadonlyMap<string, string>,
  rootFile = "template.yaml",
): CfnTemplate {
  const packaged = structuredClone(root);
  for (const [logicalId, resource] of Object.entries(packaged.Resources)) {
    if (resource.Type !== "AWS::Serverless::Application") continue;
    const location = resource.Properties?.Location;
    const service = typeof location === "string" ? serviceAt(project, location) : undefined;
    const url = service ? templateUrls.get(service.name) : undefined;
    if (!url) {
      throw new Error(
        `${rootFile}: ${logicalId}.Properties.Location: not the template of a packaged service`,
      );
    }
    resource.Properties = { ...resource.Properties, Location: url };
  }
  return packaged;
}

export interface PackagedRoot {
  services: PackagedService[];
  template: CfnTemplate;
  templateArtifact: StoredArtifact;
}

export interface RootPackageOptions {
  store: ArtifactStore;
  buildDir: string;
  prefix: string;
  /** Bundles already built from this checkout's sources (a caller packaging it more than once); default: bundle here. */
  bundles?: Bundles;
}

/** `sam package` for the root stack: every service packaged, then the root pointing at them. */
export async function packageRoot(project: Project, options: RootPackageOptions): Promise<PackagedRoot> {
  const bundles = options.bundles ?? (await bundleServices(project.services, options.buildDir));
  const services: PackagedService[] = [];
  for (const service of project.services) services.push(await packageService(service, options, bundles));
  const urls = new Map(services.map((packaged) => [packaged.service, packaged.templateArtifact.url]));
  const template = packagedRootTemplate(
    loadTemplate(ROOT_TEMPLATE_FILE),
    project,
    urls,
    displayPath(ROOT_TEMPLATE_FILE),
  );
  const body = `${JSON.stringify(template, null, 2)}\n`;
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
  const templateArtifact = await options.store.put(
    `${options.prefix}/${ROOT_STACK}/template-${hash}.json`,
    Buffer.from(body),
    "application/json",
  );
  return { services, template, templateArtifact };
}
