import { CloudFrontClient, CreateInvalidationCommand } from "@aws-sdk/client-cloudfront";
import type { Cdn } from "../domain/site";

const cloudfront = new CloudFrontClient({});

export class CloudFrontCdn implements Cdn {
  async invalidate(distributionId: string, paths: string[], reference: string): Promise<string> {
    const result = await cloudfront.send(
      new CreateInvalidationCommand({
        DistributionId: distributionId,
        InvalidationBatch: { CallerReference: reference, Paths: { Quantity: paths.length, Items: paths } },
      }),
    );
    return result.Invalidation?.Id ?? "";
  }
}
