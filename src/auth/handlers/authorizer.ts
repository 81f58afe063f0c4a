import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent, Context } from "aws-lambda";
import { flushMetrics, logger, MetricUnit, metrics } from "../../shared/observability";
import { allowPolicy, bearerToken } from "../domain/authorizer-policy";
import { InvalidTokenError } from "../domain/tokens";
import { createTokenVerifier } from "../wiring";

const verifier = createTokenVerifier();

/**
 * API Gateway TOKEN authorizer. Not an HTTP route, so not wrapped by
 * httpHandler: API Gateway turns exactly `Error("Unauthorized")` into a 401,
 * and any other error into a 500, which is what an outage (say, the secret
 * cannot be read) should look like.
 */
export async function handler(
  event: APIGatewayTokenAuthorizerEvent,
  context: Context,
): Promise<APIGatewayAuthorizerResult> {
  logger.addContext(context);
  metrics.captureColdStartMetric();
  try {
    const token = bearerToken(event.authorizationToken);
    if (token === undefined) throw new InvalidTokenError("No bearer token");
    const subject = await verifier.verify(token);
    return allowPolicy(subject, event.methodArn);
  } catch (error) {
    if (error instanceof InvalidTokenError) {
      metrics.addMetric("AuthorizerDenied", MetricUnit.Count, 1);
      logger.info("Token denied", { reason: error.message });
      throw new Error("Unauthorized");
    }
    logger.error("Authorizer failed", error as Error);
    throw new Error("Authorizer failed");
  } finally {
    flushMetrics();
  }
}
