import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { lazyHandler } from "../../shared/lambda-entry";
import { createLogger, type Logger, loadLoggerConfig } from "../../shared/observability";
import {
  type CustomResourceResult,
  responseBody,
  type Send,
  sendResponse,
} from "../adapters/custom-resource";
import type { SitePublisher } from "../domain/site";
import { createSitePublisherFromClients } from "../wiring";

export interface PublishSiteDependencies {
  logger: Logger;
  publisher: SitePublisher;
  /** Answers CloudFormation at the event's ResponseURL. */
  send: Send;
}

function property(event: CloudFormationCustomResourceEvent, name: string): string {
  const value = event.ResourceProperties[name];
  if (typeof value !== "string" || value === "")
    throw new Error(`Property ${name} must be a non-empty string`);
  return value;
}

async function apply(
  event: CloudFormationCustomResourceEvent,
  deps: PublishSiteDependencies,
): Promise<CustomResourceResult> {
  // The bucket outlives the stack (Retain); on Delete there is nothing to take back.
  if (event.RequestType === "Delete") return { physicalResourceId: event.PhysicalResourceId };
  const bucket = property(event, "BucketName");
  const distributionId = property(event, "DistributionId");
  const published = await deps.publisher.publish({ bucket, distributionId });
  deps.logger.info("Site published", { ...published, bucket, distributionId });
  return {
    physicalResourceId: `${bucket}/site`,
    data: { Version: published.version, InvalidationId: published.invalidationId },
  };
}

/** CloudFormation custom resource SiteContent: answers through the ResponseURL, success or failure. */
export function createPublishSiteHandler(deps: PublishSiteDependencies) {
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
  createPublishSiteHandler({
    publisher: createSitePublisherFromClients(),
    send: sendResponse,
    logger: createLogger(loadLoggerConfig()),
  }),
);
