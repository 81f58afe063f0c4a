// Bundled into the function's code: the files travel with the version that publishes them.
import site from "../../dist/web/site-assets.json";
import { CloudFrontCdn } from "./adapters/cloudfront-cdn";
import { sendResponse } from "./adapters/custom-resource";
import { S3SiteStore } from "./adapters/s3-site-store";

export function createSitePublisher() {
  return { site, store: new S3SiteStore(), cdn: new CloudFrontCdn(), send: sendResponse };
}
