import { httpHandler, json, requireOwner } from "../../shared/http";
import { MetricUnit, metrics } from "../../shared/observability";
import { putLocationBody, userIdSchema } from "../schemas";
import { locations } from "../wiring";

export const handler = httpHandler(async (request) => {
  const userId = request.pathParam("userId", userIdSchema);
  requireOwner(request.principal(), userId);
  const { latitude, longitude } = request.body(putLocationBody);
  const location = await locations.update({ userId, latitude, longitude });
  metrics.addMetric("LocationUpdated", MetricUnit.Count, 1);
  return json(200, location);
});
