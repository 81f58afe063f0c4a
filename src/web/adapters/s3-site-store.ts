import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { SiteFile, SiteStore } from "../domain/site";

const s3 = new S3Client({});

export class S3SiteStore implements SiteStore {
  async put(bucket: string, file: SiteFile): Promise<void> {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: file.key,
        Body: Buffer.from(file.body, "base64"),
        ContentType: file.contentType,
        CacheControl: file.cacheControl,
      }),
    );
  }
}
