import { type CloudFrontClient, CreateInvalidationCommand } from "@aws-sdk/client-cloudfront";
import type { Cdn } from "../domain/ports";

export class CloudFrontCdn implements Cdn {
  constructor(private readonly cloudfront: CloudFrontClient) {}

  async invalidate(distributionId: string, paths: string[], reference: string): Promise<string> {
    const result = await this.cloudfront.send(
      new CreateInvalidationCommand({
        DistributionId: distributionId,
        InvalidationBatch: { CallerReference: reference, Paths: { Quantity: paths.length, Items: paths } },
      }),
    );
    return result.Invalidation?.Id ?? "";
  }
}
