import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ConfigurationError } from "./manifest";
import { readZip } from "./unzip";

/** Where CodePipeline put an input artifact, and the short-lived credentials it hands the job for it. */
export interface ArtifactLocation {
  bucket: string;
  key: string;
}

export interface ArtifactCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The files of one unzipped artifact. */
export class ArtifactFiles {
  constructor(private readonly files: ReadonlyMap<string, Buffer>) {}

  has(path: string): boolean {
    return this.files.has(path);
  }

  paths(): string[] {
    return [...this.files.keys()].sort();
  }

  bytes(path: string): Buffer {
    const data = this.files.get(path);
    if (!data) throw new ConfigurationError(`the artifact has no file ${path}`);
    return data;
  }

  json(path: string): unknown {
    try {
      return JSON.parse(this.bytes(path).toString("utf8"));
    } catch (error) {
      if (error instanceof ConfigurationError) throw error;
      throw new ConfigurationError(`${path} in the artifact is not valid JSON: ${(error as Error).message}`);
    }
  }
}

export interface ArtifactReader {
  read(location: ArtifactLocation, credentials: ArtifactCredentials): Promise<ArtifactFiles>;
}

/**
 * Reads with the job's artifact credentials rather than the function's role:
 * CodePipeline scopes those to this job's artifacts, so the deployer's own
 * role needs no access to the pipeline's artifact paths.
 */
export class S3ArtifactReader implements ArtifactReader {
  /** `clientFor` makes a client per job: each job's credentials are its own. */
  constructor(private readonly clientFor: (credentials: ArtifactCredentials) => S3Client) {}

  async read(location: ArtifactLocation, credentials: ArtifactCredentials): Promise<ArtifactFiles> {
    const s3 = this.clientFor(credentials);
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
      if (!object.Body) throw new Error(`s3://${location.bucket}/${location.key} has no body`);
      const zip = Buffer.from(await object.Body.transformToByteArray());
      return new ArtifactFiles(readZip(zip));
    } finally {
      s3.destroy();
    }
  }
}
