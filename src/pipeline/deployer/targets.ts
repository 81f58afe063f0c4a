import { createHash } from "node:crypto";
import * as z from "../../shared/schema";
import type { StackTarget } from "../stack-deployer";
import type { ArtifactFiles } from "./artifact";
import {
  type ArtifactManifest,
  ConfigurationError,
  type ManifestService,
  type ManifestStack,
  PACKAGE_BUCKET_PLACEHOLDER,
} from "./manifest";
import type { PackageStore } from "./package-store";

/** CreateChangeSet's TemplateBody limit; larger templates go through S3. */
const MAX_TEMPLATE_BODY_BYTES = 51_200;

const configurationSchema = z.object({
  Parameters: z._default(z.record(z.string(), z.string()), {}),
  Tags: z._default(z.record(z.string(), z.string()), {}),
});

interface TemplateResource {
  Type?: string;
  Properties?: Record<string, unknown>;
}

interface Template {
  Resources?: Record<string, TemplateResource>;
}

export interface TargetOptions {
  /** The CloudFormation service role the pipeline template defines. */
  executionRoleArn: string;
  changeSetName: string;
}

function isPlaceholderLocation(value: unknown): value is { Bucket: string; Key: string } {
  if (value === null || typeof value !== "object") return false;
  const location = value as { Bucket?: unknown; Key?: unknown };
  return location.Bucket === PACKAGE_BUCKET_PLACEHOLDER && typeof location.Key === "string";
}

function mentionsPlaceholder(value: unknown): boolean {
  if (typeof value === "string") return value.includes(PACKAGE_BUCKET_PLACEHOLDER);
  if (Array.isArray(value)) return value.some(mentionsPlaceholder);
  if (value !== null && typeof value === "object") return Object.values(value).some(mentionsPlaceholder);
  return false;
}

function contentHash(body: string): string {
  return createHash("sha256").update(body).digest("hex").slice(0, 16);
}

/** The artifact key a placeholder Location URL names (`https://<placeholder>.s3.amazonaws.com/<key>`). */
function placeholderKey(location: unknown): string | undefined {
  if (typeof location !== "string") return undefined;
  const prefix = `https://${PACKAGE_BUCKET_PLACEHOLDER}.s3.amazonaws.com/`;
  if (!location.startsWith(prefix)) return undefined;
  return location.slice(prefix.length).split("/").map(decodeURIComponent).join("/");
}

const NESTED_TYPES = new Set(["AWS::Serverless::Application", "AWS::CloudFormation::Stack"]);

/**
 * What a nested stack's Location names: one of the root's nested services, or one of
 * the shared templates the service nests (prepared with the service's own packages).
 */
function nestedSource(
  manifest: ArtifactManifest,
  service: ManifestService,
  key: string,
): { source: ManifestService; stem: string } | undefined {
  if ((service.nestedTemplates ?? []).includes(key)) {
    const stem = (key.split("/").pop() ?? key).replace(/-[0-9a-f]{16}\.json$/, "");
    return { source: { ...service, template: key }, stem };
  }
  const child = manifest.services.find((candidate) => candidate.template === key);
  return child && (service.nested ?? []).includes(child.name)
    ? { source: child, stem: "template" }
    : undefined;
}

/**
 * One service's template as CloudFormation reads it: its function zips
 * uploaded and CodeUri pointing at them; every template it nests (for the root,
 * each service's; for a service, the shared ones) prepared the same way and
 * uploaded, Location pointing at it.
 */
async function prepareTemplate(
  files: ArtifactFiles,
  manifest: ArtifactManifest,
  service: ManifestService,
  store: PackageStore,
): Promise<string> {
  const template = structuredClone(files.json(service.template)) as Template;
  if (!template || typeof template !== "object" || !template.Resources) {
    throw new ConfigurationError(`${service.template}: not a CloudFormation template (no Resources)`);
  }
  const packages = new Set(service.packages);
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const codeUri = resource.Properties?.CodeUri;
    if (isPlaceholderLocation(codeUri)) {
      if (!packages.has(codeUri.Key)) {
        throw new ConfigurationError(
          `${service.template}: ${logicalId}: CodeUri ${codeUri.Key} is not one of the service's packages`,
        );
      }
      const stored = await store.ensure(codeUri.Key, files.bytes(codeUri.Key), "application/zip");
      resource.Properties = { ...resource.Properties, CodeUri: { Bucket: stored.bucket, Key: stored.key } };
      continue;
    }
    if (!NESTED_TYPES.has(resource.Type ?? "")) continue;
    const key = placeholderKey(resource.Properties?.Location);
    if (!key) continue;
    const child = nestedSource(manifest, service, key);
    if (!child) {
      throw new ConfigurationError(
        `${service.template}: ${logicalId}: Location ${key} is not the template of one of its nested services or shared templates`,
      );
    }
    const body = await prepareTemplate(files, manifest, child.source, store);
    const stored = await store.ensure(
      `packages/${child.source.name}/${child.stem}-${contentHash(body)}.json`,
      Buffer.from(body),
      "application/json",
    );
    resource.Properties = { ...resource.Properties, Location: stored.url };
  }
  if (mentionsPlaceholder(template)) {
    throw new ConfigurationError(
      `${service.template}: still names the placeholder bucket ${PACKAGE_BUCKET_PLACEHOLDER} outside a function's CodeUri or a nested stack's Location`,
    );
  }
  return JSON.stringify(template);
}

/**
 * Everything `advance` needs to create a change set for one stack: its
 * template prepared (zips and nested templates uploaded) and the
 * environment's template configuration.
 */
export async function prepareTarget(
  files: ArtifactFiles,
  manifest: ArtifactManifest,
  stack: ManifestStack,
  store: PackageStore,
  options: TargetOptions,
): Promise<StackTarget> {
  const service = manifest.services.find((candidate) => candidate.name === stack.service);
  if (!service) throw new ConfigurationError(`manifest.json: no service '${stack.service}'`);
  const body = await prepareTemplate(files, manifest, service, store);

  const parsed = configurationSchema.safeParse(files.json(stack.configuration));
  if (!parsed.success) {
    throw new ConfigurationError(
      `${stack.configuration}: expected {"Parameters": {...}, "Tags": {...}} with string values`,
    );
  }

  const common = {
    stackName: stack.stackName,
    parameters: parsed.data.Parameters,
    tags: parsed.data.Tags,
    roleARN: options.executionRoleArn,
    changeSetName: options.changeSetName,
  };
  if (Buffer.byteLength(body) <= MAX_TEMPLATE_BODY_BYTES) return { ...common, templateBody: body };
  const stored = await store.ensure(
    `packages/${service.name}/template-${contentHash(body)}.json`,
    Buffer.from(body),
    "application/json",
  );
  return { ...common, templateURL: stored.url };
}
