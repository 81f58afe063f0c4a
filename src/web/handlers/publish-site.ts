import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { lazyHandler } from "../../shared/lambda-entry";
import { createLogger, type Logger, loadLoggerConfig } from "../../shared/observability";
import { type CustomResourceResult, responseBody, type Send } from "../adapters/custom-resource";
import type { Cdn, SiteStore } from "../domain/ports";
import { publishSite, type SiteBundle } from "../domain/site";
import { createSitePublisher } from "../wiring";

interface Deps {
  logger: Logger;
  site: SiteBundle;
  store: SiteStore;
  cdn: Cdn;
  send: Send;
}

function property(event: CloudFormationCustomResourceEvent, name: string): string {
  const value = event.ResourceProperties[name];
  if (typeof value !== "string" || value === "")
    throw new Error(`Property ${name} must be a non-empty string`);
  return value;
}

async function apply(event: CloudFormationCustomResourceEvent, deps: Deps): Promise<CustomResourceResult> {
  // The bucket outlives the stack (Retain); on Delete there is nothing to take back.
  if (event.RequestType === "Delete") return { physicalResourceId: event.PhysicalResourceId };
  const bucket = property(event, "BucketName");
  const distributionId = property(event, "DistributionId");
  const published = await publishSite(deps.site, { bucket, distributionId }, deps);
  deps.logger.info("Site published", { ...published, bucket, distributionId });
  return {
    physicalResourceId: `${bucket}/site`,
    data: { Version: published.version, InvalidationId: published.invalidationId },
  };
}

/** CloudFormation custom resource SiteContent: answers through the ResponseURL, success or failure. */
export function createPublishSiteHandler(deps: Deps) {
  return async (event: CloudFormationCustomResourceEvent): Promise<void> => {
    let body: string;
    try {
      body = responseBody(event, { ok: true, result: await apply(event, deps) });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      deps.logger.error("Publishing the site failed", { requestType: event.RequestType, reason });
      const physicalResourceId =
        "PhysicalResourceId" in event ? event.PhysicalResourceId : `${event.LogicalResourceId}-failed`;
      body = responseBody(event, { ok: false, reason, physicalResourceId });
    }
    await deps.send(event.ResponseURL, body);
  };
}

export const handler = lazyHandler(() =>
  createPublishSiteHandler({ ...createSitePublisher(), logger: createLogger(loadLoggerConfig()) }),
);
