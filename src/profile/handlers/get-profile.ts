import { loadConfig } from "../../shared/config";
import { DependencyError } from "../../shared/errors";
import { httpHandler, json } from "../../shared/http";
import { lazyHandler } from "../../shared/lambda-entry";
import {
  createObservability,
  loadObservabilityConfig,
  MetricUnit,
  type Observability,
} from "../../shared/observability";
import type { ProfileReader } from "../domain/profile";
import { etag, userIdSchema } from "../schemas";
import { createProfileReaderFromConfig, profileReaderEnvironment } from "../wiring";

export interface GetProfileDependencies extends Observability {
  profiles: ProfileReader;
}

function describeFailure(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { reason: String(error) };
  const cause = error.cause instanceof Error ? { cause: `${error.cause.name}: ${error.cause.message}` } : {};
  return { reason: `${error.name}: ${error.message}`, ...cause };
}

// Public route: no token. The ETag tells an owner which version to send in If-Match.
export function createGetProfileHandler({ profiles, ...observability }: GetProfileDependencies) {
  const { logger, metrics } = observability;
  return httpHandler(observability, async (request) => {
    const userId = request.pathParam("userId", userIdSchema);
    const result = await profiles.getPublic(userId);
    metrics.addMetric("ProfileRead", MetricUnit.Count, 1);
    if (result.profile.locationStatus === "unavailable") {
      metrics.addMetric("LocationLookupDegraded", MetricUnit.Count, 1);
      logger.warn("Location lookup degraded", {
        dependency: result.degradedBy instanceof DependencyError ? result.degradedBy.dependency : "location",
        ...describeFailure(result.degradedBy),
      });
    }
    return json(200, result.profile, { ETag: etag(result.version) });
  });
}

export const handler = lazyHandler(() => {
  const observability = createObservability(loadObservabilityConfig());
  return createGetProfileHandler({
    profiles: createProfileReaderFromConfig(loadConfig(profileReaderEnvironment), observability.logger),
    ...observability,
  });
});
