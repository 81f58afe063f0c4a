import { loadConfig } from "../../shared/config";
import { httpHandler, json } from "../../shared/http";
import { lazyHandler } from "../../shared/lambda-entry";
import { createObservability, loadObservabilityConfig, type Observability } from "../../shared/observability";
import type { LocationService } from "../domain/location";
import { userIdSchema } from "../schemas";
import { createLocationServiceFromConfig, locationEnvironment } from "../wiring";

export interface GetLocationDependencies extends Observability {
  locations: LocationService;
}

// IAM-authorized: API Gateway has already checked the SigV4 signature and the
// resource policy (only the profile service's roles), so there is no token here.
export function createGetLocationHandler({ locations, ...observability }: GetLocationDependencies) {
  return httpHandler(observability, async (request) => {
    const userId = request.pathParam("userId", userIdSchema);
    return json(200, await locations.get(userId));
  });
}

export const handler = lazyHandler(() =>
  createGetLocationHandler({
    locations: createLocationServiceFromConfig(loadConfig(locationEnvironment)),
    ...createObservability(loadObservabilityConfig()),
  }),
);
