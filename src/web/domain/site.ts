import type { Cdn, SiteFile, SiteStore } from "./ports";

/** Publishing a built site: every file into the store, then one invalidation so viewers get the new page. */

export interface SiteBundle {
  version: string;
  files: SiteFile[];
}

export interface PublishTarget {
  bucket: string;
  distributionId: string;
}

export interface Published {
  version: string;
  files: number;
  invalidationId: string;
}

const PAGE = "index.html";

export interface SitePublisherDependencies {
  site: SiteBundle;
  store: SiteStore;
  cdn: Cdn;
}

export interface SitePublisher {
  publish(target: PublishTarget): Promise<Published>;
}

/**
 * Assets first, the page last: a viewer who gets the new index.html finds the
 * hashed files it names already there. Old assets stay for pages still open.
 */
export function createSitePublisher({ site, store, cdn }: SitePublisherDependencies): SitePublisher {
  return {
    async publish(target) {
      if (!site.files.some((file) => file.key === PAGE)) throw new Error(`The site has no ${PAGE}`);
      const assets = site.files.filter((file) => file.key !== PAGE);
      await Promise.all(assets.map((file) => store.put(target.bucket, file)));
      for (const page of site.files.filter((file) => file.key === PAGE)) await store.put(target.bucket, page);
      const invalidationId = await cdn.invalidate(
        target.distributionId,
        ["/*"],
        `site-${site.version}-${Date.now()}`,
      );
      return { version: site.version, files: site.files.length, invalidationId };
    },
  };
}
