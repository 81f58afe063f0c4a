import { httpHandler, json } from "../../shared/http";
import { MetricUnit, metrics } from "../../shared/observability";
import { registerRequestSchema } from "../register-schema";
import { createRegistrationService } from "../wiring";

const registration = createRegistrationService();

/** POST /users */
export const handler = httpHandler(async (request) => {
  const { username, password } = request.body(registerRequestSchema);
  const user = await registration.register(username, password);
  metrics.addMetric("UsersRegistered", MetricUnit.Count, 1);
  return json(201, user);
});
