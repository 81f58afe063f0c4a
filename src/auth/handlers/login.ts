import { TooManyRequestsError, UnauthorizedError } from "../../shared/errors";
import { httpHandler, json } from "../../shared/http";
import { logger, MetricUnit, metrics } from "../../shared/observability";
import { loginRequestSchema } from "../schemas";
import { createLoginService } from "../wiring";

const login = createLoginService();

/** POST /tokens */
export const handler = httpHandler(async (request) => {
  const { username, password } = request.body(loginRequestSchema);
  try {
    // The TCP peer as API Gateway saw it: a client cannot choose it as it could a header.
    const sourceAddress = request.event.requestContext?.identity?.sourceIp ?? "unknown";
    const issued = await login.login(username, password, sourceAddress);
    metrics.addMetric("LoginSucceeded", MetricUnit.Count, 1);
    // A bearer token must not be stored by caches on the way (RFC 6749 section 5.1).
    return json(201, issued, { "Cache-Control": "no-store" });
  } catch (error) {
    if (error instanceof UnauthorizedError) metrics.addMetric("LoginFailed", MetricUnit.Count, 1);
    if (error instanceof TooManyRequestsError) {
      metrics.addMetric("LoginLockedOut", MetricUnit.Count, 1);
      logger.warn("Login locked out", { username });
    }
    throw error;
  }
});
