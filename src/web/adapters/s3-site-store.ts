import { gunzipSync } from "node:zlib";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SiteFile, SiteStore } from "../domain/ports";

export class S3SiteStore implements SiteStore {
  constructor(private readonly s3: S3Client) {}

  async put(bucket: string, file: SiteFile): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: file.key,
        Body: gunzipSync(Buffer.from(file.gzippedBody, "base64")),
        ContentType: file.contentType,
        CacheControl: file.cacheControl,
      }),
    );
  }
}
