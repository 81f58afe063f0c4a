/** Where a site is published: an object store and a CDN (S3 and CloudFront in adapters/). */

export interface SiteFile {
  key: string;
  contentType: string;
  cacheControl: string;
  /**
   * The file gzipped, then base64: the site travels inside the deployer's bundle,
   * and compressed it keeps that bundle under 100 KiB.
   */
  gzippedBody: string;
}

export interface SiteStore {
  put(bucket: string, file: SiteFile): Promise<void>;
}

export interface Cdn {
  /** Returns the invalidation's id. */
  invalidate(distributionId: string, paths: string[], reference: string): Promise<string>;
}
