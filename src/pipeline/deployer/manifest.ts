import * as z from "../../shared/schema";

/**
 * The contract between the Bundle stage (tools/package-artifact.ts, which
 * writes it) and the deployer Lambda (which reads it): what is in the
 * BundleOutput artifact and in which order its stacks deploy.
 *
 *   manifest.json
 *   packages/<service>/<LogicalId>-<hash>.zip     function code
 *   packages/<service>/template-<hash>.json       template, CodeUri -> the zips above
 *   packages/root/template-<hash>.json            the root template, nested Locations -> the templates above
 *   configs/<env>/root.json                       {"Parameters", "Tags"} of the stack meridian-<env>
 */
export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_FORMAT = "meridian-pipeline-artifact/1";

/**
 * The bucket name packaged templates carry in CodeUri. The artifact cannot
 * know the real bucket (the same bytes are built locally by `npm run
 * pipeline`); the deployer uploads each zip and swaps in the real name.
 */
export const PACKAGE_BUCKET_PLACEHOLDER = "meridian-bundle-artifact";

const relativePath = z.string().check(
  z.minLength(1),
  z.refine(
    (path) => !path.startsWith("/") && !path.split("/").includes(".."),
    "expected a path inside the artifact",
  ),
);

const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  sourceVersion: z.string(),
  services: z
    .array(
      z.object({
        name: z.string().check(z.regex(/^[a-z][a-z0-9-]*$/)),
        dependencies: z.array(z.string()),
        template: relativePath,
        packages: z.array(relativePath),
        /** A root template's nested services, whose templates its Locations point at. */
        nested: z.optional(z.array(z.string())),
        /** The shared templates a service's template nests (src/shared/templates), packaged with it. */
        nestedTemplates: z.optional(z.array(relativePath)),
      }),
    )
    .check(z.minLength(1)),
  environments: z.record(
    z.string(),
    z.array(
      z.object({
        service: z.string(),
        // IAM only lets the deployer touch meridian-<env>-* stacks; failing
        // here names the problem instead of an AccessDenied.
        stackName: z.string().check(z.regex(/^meridian-[a-z0-9-]+$/)),
        configuration: relativePath,
      }),
    ),
  ),
});

export type ArtifactManifest = z.infer<typeof manifestSchema>;
export type ManifestService = ArtifactManifest["services"][number];
export type ManifestStack = ArtifactManifest["environments"][string][number];

/** A problem with the artifact or the action's configuration: retrying will not help. */
export class ConfigurationError extends Error {
  override readonly name = "ConfigurationError";
}

export function parseManifest(value: unknown): ArtifactManifest {
  const result = manifestSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(top level)"}: ${issue.message}`,
    );
    throw new ConfigurationError(`${MANIFEST_FILE}: ${problems.join("; ")}`);
  }
  const manifest = result.data;
  const services = new Map(manifest.services.map((service) => [service.name, service]));
  for (const service of manifest.services) {
    const unknown = (service.nested ?? []).filter((name) => !services.has(name));
    if (unknown.length > 0) {
      throw new ConfigurationError(
        `${MANIFEST_FILE}: services.${service.name}.nested: unknown service(s) ${unknown.join(", ")}`,
      );
    }
  }
  for (const [environment, stacks] of Object.entries(manifest.environments)) {
    const seen = new Set<string>();
    for (const stack of stacks) {
      const service = services.get(stack.service);
      if (!service) {
        throw new ConfigurationError(
          `${MANIFEST_FILE}: environments.${environment}: unknown service '${stack.service}'`,
        );
      }
      // The deployer trusts this order; a dependency listed later would be
      // deployed after the stack that resolves its SSM parameters.
      const late = service.dependencies.filter((dependency) => !seen.has(dependency));
      if (late.length > 0) {
        throw new ConfigurationError(
          `${MANIFEST_FILE}: environments.${environment}: '${stack.service}' is listed before its dependencies ${late.join(", ")}`,
        );
      }
      seen.add(stack.service);
    }
  }
  return manifest;
}

/** The stacks of one environment, in deploy order. */
export function stacksFor(manifest: ArtifactManifest, environment: string): ManifestStack[] {
  const stacks = manifest.environments[environment];
  if (!stacks || stacks.length === 0) {
    throw new ConfigurationError(
      `the artifact has no stacks for environment '${environment}' (it has: ${Object.keys(manifest.environments).join(", ") || "none"})`,
    );
  }
  return stacks;
}

const userParametersSchema = z.object({
  environment: z.string().check(z.regex(/^[a-z][a-z0-9-]*$/)),
  /** `preview` stops at the change sets and deletes them: what an approver reviews before prod. */
  mode: z._default(z.enum(["deploy", "preview"]), "deploy"),
});

export type UserParameters = z.infer<typeof userParametersSchema>;

/** The Deploy action's UserParameters: `{"environment":"dev"}`, or with `"mode":"preview"`. */
export function parseUserParameters(text: string | undefined): UserParameters {
  let value: unknown;
  try {
    value = JSON.parse(text ?? "");
  } catch {
    throw new ConfigurationError(
      `UserParameters must be JSON like {"environment":"dev"} (optionally "mode":"preview"), got '${text ?? ""}'`,
    );
  }
  const result = userParametersSchema.safeParse(value);
  if (!result.success) {
    throw new ConfigurationError(
      `UserParameters must be JSON like {"environment":"dev"} (optionally "mode":"preview"), got '${text ?? ""}'`,
    );
  }
  return result.data;
}
