import { loadConfig } from "../../shared/config";
import { httpHandler, json, requireOwner } from "../../shared/http";
import { lazyHandler } from "../../shared/lambda-entry";
import {
  createObservability,
  loadObservabilityConfig,
  MetricUnit,
  type Observability,
} from "../../shared/observability";
import type { LocationService } from "../domain/location";
import { putLocationBody, userIdSchema } from "../schemas";
import { createLocationServiceFromConfig, locationEnvironment } from "../wiring";

export interface PutLocationDependencies extends Observability {
  locations: LocationService;
}

export function createPutLocationHandler({ locations, ...observability }: PutLocationDependencies) {
  return httpHandler(observability, async (request) => {
    const userId = request.pathParam("userId", userIdSchema);
    const principal = request.principal();
    requireOwner(principal, userId);
    const { latitude, longitude } = request.body(putLocationBody);
    const location = await locations.update({ userId, username: principal.username, latitude, longitude });
    observability.metrics.addMetric("LocationUpdated", MetricUnit.Count, 1);
    return json(200, location);
  });
}

export const handler = lazyHandler(() =>
  createPutLocationHandler({
    locations: createLocationServiceFromConfig(loadConfig(locationEnvironment)),
    ...createObservability(loadObservabilityConfig()),
  }),
);
