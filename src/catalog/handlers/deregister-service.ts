import { loadConfig } from "../../shared/config";
import { httpHandler, json } from "../../shared/http";
import { lazyHandler } from "../../shared/lambda-entry";
import {
  createObservability,
  loadObservabilityConfig,
  MetricUnit,
  type Observability,
} from "../../shared/observability";
import { deregisterBody } from "../schemas";
import {
  createRegistrationDependenciesFromConfig,
  type RegistrationDependencies,
  registrationEnvironment,
} from "../wiring";

// Idempotent: 200 whether or not the registration existed, so a registrar
// retrying after a lost response is never told it failed. `removed` says which.
export function createDeregisterServiceHandler({
  catalog,
  registrars,
  ...observability
}: RegistrationDependencies & Observability) {
  return httpHandler(observability, async (request) => {
    const deregistration = request.body(deregisterBody);
    registrars.assertMayChange(deregistration.service_name, request.callerArn());
    const result = await catalog.deregister(deregistration);
    if (result.removed) observability.metrics.addMetric("ServiceDeregistered", MetricUnit.Count, 1);
    return json(200, result);
  });
}

export const handler = lazyHandler(() =>
  createDeregisterServiceHandler({
    ...createRegistrationDependenciesFromConfig(loadConfig(registrationEnvironment)),
    ...createObservability(loadObservabilityConfig()),
  }),
);
