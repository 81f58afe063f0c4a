import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { S3Client } from "@aws-sdk/client-s3";
// Bundled into the function's code: the files travel with the version that publishes them.
import site from "../../dist/web/site-assets.json";
import { CloudFrontCdn } from "./adapters/cloudfront-cdn";
import { S3SiteStore } from "./adapters/s3-site-store";
import { createSitePublisher, type SitePublisher } from "./domain/site";

export interface SiteClients {
  s3: S3Client;
  cloudfront: CloudFrontClient;
}

/** The site this version was built with, published through S3 and CloudFront (no configuration: the custom resource names both). */
export function createSitePublisherFromClients(
  clients: SiteClients = { s3: new S3Client({}), cloudfront: new CloudFrontClient({}) },
): SitePublisher {
  return createSitePublisher({
    site,
    store: new S3SiteStore(clients.s3),
    cdn: new CloudFrontCdn(clients.cloudfront),
  });
}
