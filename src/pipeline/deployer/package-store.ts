import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";

export interface StoredPackage {
  bucket: string;
  key: string;
  /** The https URL CreateChangeSet's TemplateURL takes. */
  url: string;
}

/**
 * Where function zips (and templates too large for TemplateBody) go so that
 * CloudFormation and Lambda can read them. Keys carry a content hash, so
 * `ensure` may skip an upload that is already there.
 */
export interface PackageStore {
  ensure(key: string, body: Buffer, contentType: string): Promise<StoredPackage>;
}

function isNotFound(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return (
    error instanceof Error && (error.name === "NotFound" || error.name === "NoSuchKey" || status === 404)
  );
}

/** Uploads with the deployer's own role (the job's artifact credentials only cover the job's artifacts). */
export class S3PackageStore implements PackageStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly region: string,
  ) {}

  url(key: string): string {
    const path = key.split("/").map(encodeURIComponent).join("/");
    return `https://${this.bucket}.s3.${this.region}.amazonaws.com/${path}`;
  }

  async ensure(key: string, body: Buffer, contentType: string): Promise<StoredPackage> {
    const stored = { bucket: this.bucket, key, url: this.url(key) };
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      // Staging and prod reuse what dev uploaded: same hash, same bytes.
      return stored;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
    return stored;
  }
}
