import {
  type ArtifactCredentials,
  ArtifactFiles,
  type ArtifactLocation,
  type ArtifactReader,
} from "../../../../src/pipeline/deployer/artifact";
import {
  type ArtifactManifest,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  PACKAGE_BUCKET_PLACEHOLDER,
} from "../../../../src/pipeline/deployer/manifest";
import type { PackageStore, StoredPackage } from "../../../../src/pipeline/deployer/package-store";

export interface FakeService {
  name: string;
  dependencies?: string[];
  functions?: string[];
}

export const THREE_SERVICES: FakeService[] = [
  { name: "auth", functions: ["RegisterFunction", "LoginFunction"] },
  { name: "location", dependencies: ["auth"], functions: ["PutLocationFunction"] },
  { name: "profile", dependencies: ["auth", "location"], functions: ["GetProfileFunction"] },
];

/** An in-memory BundleOutput in the shape tools/package-artifact.ts writes. */
export function fakeArtifact(
  services: FakeService[] = THREE_SERVICES,
  environments: string[] = ["dev", "staging", "prod"],
  order: string[] = services.map((service) => service.name),
): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const json = (path: string, value: unknown) => files.set(path, Buffer.from(JSON.stringify(value)));
  const manifestServices: ArtifactManifest["services"] = [];
  for (const service of services) {
    const packages = (service.functions ?? []).map(
      (id) => `packages/${service.name}/${id}-0123456789abcdef.zip`,
    );
    for (const key of packages) files.set(key, Buffer.from(`zip of ${key}`));
    const template = `packages/${service.name}/template-fedcba9876543210.json`;
    json(template, {
      AWSTemplateFormatVersion: "2010-09-09",
      Transform: "AWS::Serverless-2016-10-31",
      Parameters: { Environment: { Type: "String" } },
      Resources: Object.fromEntries(
        (service.functions ?? []).map((id, index) => [
          id,
          {
            Type: "AWS::Serverless::Function",
            Properties: {
              Handler: `${id}.handler`,
              CodeUri: { Bucket: PACKAGE_BUCKET_PLACEHOLDER, Key: packages[index] },
            },
          },
        ]),
      ),
    });
    manifestServices.push({
      name: service.name,
      dependencies: service.dependencies ?? [],
      template,
      packages,
    });
  }
  const manifest: ArtifactManifest = {
    format: MANIFEST_FORMAT,
    sourceVersion: "0a1b2c3d",
    services: manifestServices,
    environments: Object.fromEntries(
      environments.map((environment) => [
        environment,
        order.map((service) => {
          const configuration = `configs/${environment}/${service}.json`;
          json(configuration, {
            Parameters: { Environment: environment, LogLevel: "INFO" },
            Tags: { Project: "meridian", Environment: environment, Service: service },
          });
          return { service, stackName: `meridian-${environment}-${service}`, configuration };
        }),
      ]),
    ),
  };
  json(MANIFEST_FILE, manifest);
  return files;
}

export class FakeArtifactReader implements ArtifactReader {
  readonly reads: Array<{ location: ArtifactLocation; credentials: ArtifactCredentials }> = [];
  /** Errors thrown by the next reads, in order. */
  readonly failures: Error[] = [];

  constructor(public files: Map<string, Buffer> = fakeArtifact()) {}

  async read(location: ArtifactLocation, credentials: ArtifactCredentials): Promise<ArtifactFiles> {
    this.reads.push({ location, credentials });
    const failure = this.failures.shift();
    if (failure) throw failure;
    return new ArtifactFiles(this.files);
  }
}

export class FakePackageStore implements PackageStore {
  readonly bucket = "meridian-pipeline-artifactbucket-abc";
  readonly uploads = new Map<string, Buffer>();

  async ensure(key: string, body: Buffer): Promise<StoredPackage> {
    this.uploads.set(key, body);
    return { bucket: this.bucket, key, url: `https://${this.bucket}.s3.us-east-1.amazonaws.com/${key}` };
  }
}
