import { gunzipSync } from "node:zlib";
import { CloudFrontClient, CreateInvalidationCommand } from "@aws-sdk/client-cloudfront";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { CloudFormationCustomResourceCreateEvent, Context } from "aws-lambda";
// The same files the site deployer carries, so the baseline puts as many objects of the same sizes.
import site from "../../../dist/web/site-assets.json";
import { bare } from "./bare";

const s3 = new S3Client({});
const cloudfront = new CloudFrontClient({});

/** A PutObject per site file, one CreateInvalidation and the PUT to the ResponseURL: the site deployer. */
export async function handler(event: CloudFormationCustomResourceCreateEvent, context: Context) {
  return bare(context, async () => {
    const bucket = String(event.ResourceProperties.BucketName);
    await Promise.all(
      site.files.map((file) =>
        s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: file.key,
            Body: gunzipSync(Buffer.from(file.gzippedBody, "base64")),
            ContentType: file.contentType,
          }),
        ),
      ),
    );
    await cloudfront.send(
      new CreateInvalidationCommand({
        DistributionId: String(event.ResourceProperties.DistributionId),
        InvalidationBatch: { CallerReference: `bench-${Date.now()}`, Paths: { Quantity: 1, Items: ["/*"] } },
      }),
    );
    const body = JSON.stringify({ Status: "SUCCESS", RequestId: event.RequestId });
    const response = await fetch(event.ResponseURL, { method: "PUT", headers: { "Content-Type": "" }, body });
    if (!response.ok) throw new Error(`the response URL answered ${response.status}`);
  });
}
