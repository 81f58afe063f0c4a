import { loadConfig } from "../../shared/config";
import { httpHandler, json } from "../../shared/http";
import { lazyHandler } from "../../shared/lambda-entry";
import {
  createObservability,
  loadObservabilityConfig,
  MetricUnit,
  type Observability,
} from "../../shared/observability";
import { registerBody } from "../schemas";
import {
  createRegistrationDependenciesFromConfig,
  type RegistrationDependencies,
  registrationEnvironment,
} from "../wiring";

// IAM-authorized: API Gateway has checked the SigV4 signature and the resource
// policy (only registrar roles may POST); which registrar it is, is checked here.
export function createRegisterServiceHandler({
  catalog,
  registrars,
  ...observability
}: RegistrationDependencies & Observability) {
  return httpHandler(observability, async (request) => {
    const registration = request.body(registerBody);
    registrars.assertMayChange(registration.service_name, request.callerArn());
    const record = await catalog.register(registration);
    observability.metrics.addDimension("status", record.status);
    observability.metrics.addMetric("ServiceRegistered", MetricUnit.Count, 1);
    return json(201, record);
  });
}

export const handler = lazyHandler(() =>
  createRegisterServiceHandler({
    ...createRegistrationDependenciesFromConfig(loadConfig(registrationEnvironment)),
    ...createObservability(loadObservabilityConfig()),
  }),
);
