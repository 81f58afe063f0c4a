import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { S3Client } from "@aws-sdk/client-s3";
// Bundled into the function's code: the files travel with the version that publishes them.
import site from "../../dist/web/site-assets.json";
import { CloudFrontCdn } from "./adapters/cloudfront-cdn";
import { sendResponse } from "./adapters/custom-resource";
import { S3SiteStore } from "./adapters/s3-site-store";

export function createSitePublisher(
  clients = { s3: new S3Client({}), cloudfront: new CloudFrontClient({}) },
) {
  return {
    site,
    store: new S3SiteStore(clients.s3),
    cdn: new CloudFrontCdn(clients.cloudfront),
    send: sendResponse,
  };
}
