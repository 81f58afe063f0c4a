import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { NodeSha256 } from "../../src/shared/node-sha256";

/** Where packaged code and templates go; CloudFormation reads them from S3. */
export interface StoredArtifact {
  bucket: string;
  key: string;
  /** The https URL CreateChangeSet's TemplateURL takes. */
  url: string;
}

export interface ArtifactStore {
  put(key: string, body: Buffer, contentType: string): Promise<StoredArtifact>;
}

export interface S3StoreOptions {
  bucket: string;
  region: string;
  credentials?: AwsCredentialIdentityProvider;
  fetch?: typeof fetch;
}

function encodeKey(key: string): string {
  return key.split("/").map(encodeURIComponent).join("/");
}

/**
 * PutObject as one SigV4-signed HTTPS request. The repository has no S3
 * client dependency and a single PUT is all packaging needs; swapping in
 * @aws-sdk/client-s3 only means implementing `put` with PutObjectCommand.
 */
export class S3ArtifactStore implements ArtifactStore {
  private readonly signer: SignatureV4;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: S3StoreOptions) {
    this.signer = new SignatureV4({
      service: "s3",
      region: options.region,
      credentials: options.credentials ?? defaultProvider(),
      sha256: NodeSha256,
      // S3 signs the path as sent and wants the payload hash in x-amz-content-sha256.
      uriEscapePath: false,
      applyChecksum: true,
    });
    this.fetch = options.fetch ?? fetch;
  }

  url(key: string): string {
    return `https://${this.options.bucket}.s3.${this.options.region}.amazonaws.com/${encodeKey(key)}`;
  }

  async put(key: string, body: Buffer, contentType: string): Promise<StoredArtifact> {
    const url = new URL(this.url(key));
    const signed = await this.signer.sign({
      method: "PUT",
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname,
      query: {},
      headers: { host: url.host, "content-type": contentType },
      body,
    });
    let response: Response;
    try {
      response = await this.fetch(url, { method: "PUT", headers: signed.headers, body });
    } catch (error) {
      // fetch's own message is just "fetch failed"; the cause says DNS, TLS or refused.
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      throw new Error(
        `S3 PutObject s3://${this.options.bucket}/${key} failed: ${(error as Error).message}${cause ? ` (${cause})` : ""}`,
      );
    }
    if (!response.ok) {
      const text = await response.text();
      const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? "";
      const message = /<Message>([^<]+)<\/Message>/.exec(text)?.[1] ?? text.slice(0, 200);
      throw new Error(
        `S3 PutObject s3://${this.options.bucket}/${key} failed: ${response.status} ${code} ${message}`.trim(),
      );
    }
    return { bucket: this.options.bucket, key, url: url.toString() };
  }
}

/** For --dry-run: writes what would be uploaded under a local directory. */
export class DirectoryArtifactStore implements ArtifactStore {
  constructor(
    private readonly dir: string,
    private readonly bucket = "dry-run-bucket",
  ) {}

  async put(key: string, body: Buffer): Promise<StoredArtifact> {
    const path = join(this.dir, key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
    return { bucket: this.bucket, key, url: `https://${this.bucket}.s3.amazonaws.com/${encodeKey(key)}` };
  }
}
