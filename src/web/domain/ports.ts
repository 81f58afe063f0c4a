/** Where a site is published: an object store and a CDN (S3 and CloudFront in adapters/). */

export interface SiteFile {
  key: string;
  contentType: string;
  cacheControl: string;
  /** base64 */
  body: string;
}

export interface SiteStore {
  put(bucket: string, file: SiteFile): Promise<void>;
}

export interface Cdn {
  /** Returns the invalidation's id. */
  invalidate(distributionId: string, paths: string[], reference: string): Promise<string>;
}
