import { httpHandler, json } from "../../shared/http";
import { MetricUnit, metrics } from "../../shared/observability";
import { deregisterBody } from "../schemas";
import { catalog, registrars } from "../wiring";

// Idempotent: 200 whether or not the registration existed, so a registrar
// retrying after a lost response is never told it failed. `removed` says which.
export const handler = httpHandler(async (request) => {
  const deregistration = request.body(deregisterBody);
  registrars.assertMayChange(deregistration.service_name, request.callerArn());
  const result = await catalog.deregister(deregistration);
  if (result.removed) metrics.addMetric("ServiceDeregistered", MetricUnit.Count, 1);
  return json(200, result);
});
