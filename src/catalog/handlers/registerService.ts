import { httpHandler, json } from "../../shared/http";
import { MetricUnit, metrics } from "../../shared/observability";
import { registerBody } from "../schemas";
import { catalog } from "../wiring";

// IAM-authorized: API Gateway has checked the SigV4 signature and the resource
// policy (only registrar roles may POST), so any caller here is a registrar.
export const handler = httpHandler(async (request) => {
  const record = await catalog.register(request.body(registerBody));
  metrics.addDimension("status", record.status);
  metrics.addMetric("ServiceRegistered", MetricUnit.Count, 1);
  return json(201, record);
});
