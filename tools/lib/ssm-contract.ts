import type { CfnParameter } from "./cfn-yaml";
import { metadataPath, type Service, SSM_NAME_PATTERN, templatePath } from "./project";

/**
 * The deploy-time contract between services: what each template publishes
 * (`AWS::SSM::Parameter` named `/meridian/${Environment}/<service>/<name>/<type>`)
 * and what each metadata.yaml consumes. Checked before any deploy so that a
 * missing dependency fails here, not as "parameter not found" halfway through
 * a pipeline run.
 */
export interface PublishedName {
  service: string;
  logicalId: string;
  /** In metadata.yaml's spelling: `/meridian/{Environment}/auth/api/url`. */
  ssmName: string;
}

const PUBLISHED_PATTERN = /^\/meridian\/\$\{Environment\}\/([a-z0-9-]+)\/([a-z0-9-]+)\/([a-z0-9-]+)$/;

function subText(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || !("Fn::Sub" in value)) return undefined;
  const sub = (value as { "Fn::Sub": unknown })["Fn::Sub"];
  if (typeof sub === "string") return sub;
  if (Array.isArray(sub) && typeof sub[0] === "string") return sub[0];
  return undefined;
}

/** Every Meridian SSM name a service's template publishes; throws on names outside its own namespace. */
export function publishedNames(service: Service): PublishedName[] {
  const names: PublishedName[] = [];
  for (const [logicalId, resource] of Object.entries(service.template.Resources)) {
    if (resource.Type !== "AWS::SSM::Parameter") continue;
    const name = resource.Properties?.Name;
    const where = `${templatePath(service)}: ${logicalId}.Properties.Name`;
    if (typeof name === "string") {
      if (name.startsWith("/meridian/")) {
        throw new Error(
          `${where}: '${name}' hard-codes the environment; expected !Sub /meridian/\${Environment}/...`,
        );
      }
      continue;
    }
    const text = subText(name);
    if (text === undefined || !text.startsWith("/meridian/")) continue;
    const match = PUBLISHED_PATTERN.exec(text);
    if (!match) {
      throw new Error(
        `${where}: '${text}' is not of the form /meridian/\${Environment}/${service.name}/<name>/<type>`,
      );
    }
    if (match[1] !== service.name) {
      throw new Error(
        `${where}: '${text}' publishes into service '${match[1]}''s namespace; expected /meridian/\${Environment}/${service.name}/...`,
      );
    }
    names.push({
      service: service.name,
      logicalId,
      ssmName: `/meridian/{Environment}/${match[1]}/${match[2]}/${match[3]}`,
    });
  }
  return names;
}

function isSsmValueType(parameter: CfnParameter): boolean {
  return parameter.Type.startsWith("AWS::SSM::Parameter::Value<");
}

/**
 * For every SSM name a service consumes: the owning service exists, is listed
 * in dependencies (so it deploys first and tears down last) and really
 * publishes that name; the template takes it as an SSM-typed parameter. And
 * a template never consumes a Meridian SSM name behind metadata.yaml's back:
 * its `/meridian/dev/...` default would then be used in every environment.
 */
export function checkSsmContracts(services: Service[]): void {
  const byName = new Map(services.map((service) => [service.name, service]));
  const published = new Map(services.map((service) => [service.name, publishedNames(service)]));
  for (const service of services) {
    const metadataFile = metadataPath(service);
    const declared = service.template.Parameters ?? {};
    for (const [parameterName, ssmName] of Object.entries(service.metadata.parameters)) {
      const where = `${metadataFile}: parameters.${parameterName}`;
      const owner = SSM_NAME_PATTERN.exec(ssmName)?.[1];
      if (owner === undefined) throw new Error(`${where}: '${ssmName}' is not a Meridian SSM name`);
      if (owner === service.name) {
        throw new Error(
          `${where}: '${ssmName}' is ${service.name}'s own parameter; it does not exist before the stack does, reference the resource in the template instead`,
        );
      }
      const ownerService = byName.get(owner);
      if (!ownerService) {
        throw new Error(
          `${where}: '${ssmName}' names unknown service '${owner}' (services: ${[...byName.keys()].join(", ")})`,
        );
      }
      if (!service.metadata.dependencies.includes(owner)) {
        throw new Error(
          `${where}: consumes '${ssmName}' but dependencies does not list '${owner}'; add it so ${owner} deploys first`,
        );
      }
      const names = published.get(owner) ?? [];
      if (!names.some((entry) => entry.ssmName === ssmName)) {
        throw new Error(
          `${where}: '${ssmName}' is not published by ${templatePath(ownerService)} (it publishes: ${names.map((entry) => entry.ssmName).join(", ") || "nothing"})`,
        );
      }
      const parameter = declared[parameterName];
      if (parameter && !isSsmValueType(parameter)) {
        throw new Error(
          `${templatePath(service)}: Parameters.${parameterName}: expected Type AWS::SSM::Parameter::Value<String> (it receives the SSM name '${ssmName}'), got ${parameter.Type}`,
        );
      }
    }
    for (const [parameterName, parameter] of Object.entries(declared)) {
      if (!isSsmValueType(parameter) || parameterName in service.metadata.parameters) continue;
      if (typeof parameter.Default === "string" && parameter.Default.startsWith("/meridian/")) {
        throw new Error(
          `${templatePath(service)}: Parameters.${parameterName} reads '${parameter.Default}' but ${metadataFile} does not list it under parameters, so every environment would use that name`,
        );
      }
    }
  }
}
