import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import type { ArtifactStore, StoredArtifact } from "./artifacts";
import type { CfnTemplate } from "./cfn-yaml";
import { buildFunctions, listFunctions } from "./functions";
import { displayPath, type Service, templatePath } from "./project";
import { createZip } from "./zip";

/**
 * What `sam package` does for Meridian's templates, without SAM CLI: bundle
 * each function with its esbuild Metadata, zip it, upload it under a content
 * hash, point CodeUri at it, drop the build-only Metadata, and upload the
 * resulting template for CreateChangeSet's TemplateURL.
 */
export interface S3Location {
  Bucket: string;
  Key: string;
}

export interface PackagedFunction {
  logicalId: string;
  artifact: StoredArtifact;
  bytes: number;
}

export interface PackagedService {
  service: string;
  template: CfnTemplate;
  templateArtifact: StoredArtifact;
  functions: PackagedFunction[];
  /** The packaged templates it nests (src/shared/templates), each uploaded once per content. */
  nestedTemplates: StoredArtifact[];
}

export interface PackageOptions {
  store: ArtifactStore;
  /** Where bundles are built, e.g. dist/deploy/<env>. */
  buildDir: string;
  /** S3 key prefix, e.g. meridian/dev. */
  prefix: string;
}

function hash(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex").slice(0, 16);
}

/** Properties SAM would upload from a local path; only functions' CodeUri is handled here. */
const LOCAL_PATH_PROPERTIES: Record<string, string> = {
  "AWS::Serverless::LayerVersion": "ContentUri",
  "AWS::Serverless::Api": "DefinitionUri",
  "AWS::Serverless::HttpApi": "DefinitionUri",
  "AWS::Serverless::StateMachine": "DefinitionUri",
  "AWS::Serverless::Application": "Location",
  "AWS::Lambda::LayerVersion": "Content",
};

/**
 * A copy of the template as CloudFormation gets it: every function's CodeUri
 * is its S3 object, esbuild Metadata and the local Globals CodeUri are gone.
 */
export function packagedTemplate(
  template: CfnTemplate,
  code: ReadonlyMap<string, S3Location>,
  file = "template.yaml",
  nestedTemplateUrls: ReadonlyMap<string, string> = new Map(),
): CfnTemplate {
  const packaged = structuredClone(template);
  for (const [logicalId, resource] of Object.entries(packaged.Resources)) {
    const localProperty = LOCAL_PATH_PROPERTIES[resource.Type];
    const localValue = localProperty ? resource.Properties?.[localProperty] : undefined;
    const nestedUrl = nestedTemplateUrls.get(logicalId);
    if (resource.Type === "AWS::Serverless::Application" && nestedUrl !== undefined) {
      resource.Properties = { ...resource.Properties, Location: nestedUrl };
      continue;
    }
    if (
      typeof localValue === "string" &&
      !localValue.startsWith("s3://") &&
      !localValue.startsWith("https://")
    ) {
      throw new Error(
        `${file}: ${logicalId}.Properties.${localProperty}: local paths are not packaged by tools/deploy`,
      );
    }
    if (resource.Type !== "AWS::Serverless::Function") continue;
    const location = code.get(logicalId);
    if (!location) throw new Error(`${file}: ${logicalId}: no packaged code for this function`);
    resource.Properties = { ...resource.Properties, CodeUri: { Bucket: location.Bucket, Key: location.Key } };
    if (resource.Metadata) {
      const { BuildMethod: _method, BuildProperties: _properties, ...rest } = resource.Metadata;
      if (Object.keys(rest).length > 0) resource.Metadata = rest;
      else delete resource.Metadata;
    }
  }
  const globalsFunction = packaged.Globals?.Function;
  if (packaged.Globals && globalsFunction && "CodeUri" in globalsFunction) {
    const { CodeUri: _codeUri, ...rest } = globalsFunction;
    if (Object.keys(rest).length > 0) packaged.Globals.Function = rest;
    else delete packaged.Globals.Function;
    if (Object.keys(packaged.Globals).length === 0) delete packaged.Globals;
  }
  return packaged;
}

/** `<service>/<logicalId>` -> its bundle under buildDir/<service>/<logicalId>. */
export type Bundles = ReadonlyMap<string, string>;

/**
 * Every function of `services` bundled as its template's BuildProperties say,
 * those with the same options in one esbuild run (as the local stack builds
 * them): the same bytes as one build per function, in about a third of the time.
 */
export async function bundleServices(services: readonly Service[], buildDir: string): Promise<Bundles> {
  const built = buildFunctions(
    services.flatMap((service) => listFunctions(service)),
    buildDir,
  );
  const bundles = new Map<string, string>();
  for (const [key, result] of built) {
    const outcome = await result;
    if (!outcome.ok) throw new Error(`${key}: the bundle failed: ${outcome.error}`);
    bundles.set(key, outcome.modulePath);
  }
  return bundles;
}

export async function packageService(
  service: Service,
  options: PackageOptions,
  bundles?: Bundles,
): Promise<PackagedService> {
  const specs = listFunctions(service);
  const built = bundles ?? (await bundleServices([service], options.buildDir));
  const functions = await Promise.all(
    specs.map(async (spec): Promise<PackagedFunction> => {
      const outFile = built.get(`${service.name}/${spec.logicalId}`);
      if (outFile === undefined) throw new Error(`${service.name}/${spec.logicalId}: not bundled`);
      const entries = [{ name: basename(outFile), data: readFileSync(outFile) }];
      const sourceMap = `${outFile}.map`;
      if (existsSync(sourceMap)) entries.push({ name: basename(sourceMap), data: readFileSync(sourceMap) });
      const zip = createZip(entries);
      const key = `${options.prefix}/${service.name}/${spec.logicalId}-${hash(zip)}.zip`;
      const artifact = await options.store.put(key, zip, "application/zip");
      return { logicalId: spec.logicalId, artifact, bytes: zip.length };
    }),
  );
  const code = new Map(
    functions.map((fn) => [fn.logicalId, { Bucket: fn.artifact.bucket, Key: fn.artifact.key }]),
  );
  const nestedTemplates: StoredArtifact[] = [];
  const nested = await packageNested(service.name, service.applications, code, options, nestedTemplates);
  const template = packagedTemplate(service.template, code, templatePath(service), nested);
  const templateArtifact = await uploadTemplate(
    template,
    `${options.prefix}/${service.name}/template`,
    options,
  );
  const unique = [...new Map(nestedTemplates.map((artifact) => [artifact.key, artifact])).values()];
  return { service: service.name, template, templateArtifact, functions, nestedTemplates: unique };
}

async function uploadTemplate(template: CfnTemplate, keyStem: string, options: PackageOptions) {
  const body = `${JSON.stringify(template, null, 2)}\n`;
  return options.store.put(`${keyStem}-${hash(body)}.json`, Buffer.from(body), "application/json");
}

/**
 * What `sam package` does for a nested stack from a local template: the template
 * packaged (its functions' code is in `code`, bundled with the service's) and
 * uploaded, its nesting resource's Location then that upload's URL.
 */
async function packageNested(
  serviceName: string,
  applications: Service["applications"],
  code: ReadonlyMap<string, S3Location>,
  options: PackageOptions,
  uploaded: StoredArtifact[],
): Promise<Map<string, string>> {
  const urls = new Map<string, string>();
  for (const [logicalId, application] of Object.entries(applications ?? {})) {
    const inner = await packageNested(serviceName, application.applications, code, options, uploaded);
    const file = displayPath(application.templatePath);
    const template = packagedTemplate(application.template, code, file, inner);
    const stem = basename(application.templatePath).replace(/\.ya?ml$/, "");
    const artifact = await uploadTemplate(template, `${options.prefix}/${serviceName}/${stem}`, options);
    uploaded.push(artifact);
    urls.set(logicalId, artifact.url);
  }
  return urls;
}
