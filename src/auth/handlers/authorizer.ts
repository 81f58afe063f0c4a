import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent, Context } from "aws-lambda";
import { type ConfigOf, loadConfig, nonEmpty, positiveInt } from "../../shared/config";
import { lazyHandler } from "../../shared/lambda-entry";
import {
  createObservability,
  flushMetrics,
  loadObservabilityConfig,
  MetricUnit,
  type Observability,
} from "../../shared/observability";
import { SecretsManagerSigningKeySource } from "../adapters/secrets-signing-key-source";
import { allowPolicy, bearerToken } from "../domain/authorizer-policy";
import { createTokenVerifier, InvalidTokenError, type TokenVerifier } from "../domain/tokens";
import { signingKeyMaxAge } from "../signing-key-max-age";

export interface AuthorizerDependencies extends Observability {
  verifier: TokenVerifier;
}

/**
 * API Gateway TOKEN authorizer. Not an HTTP route, so not wrapped by
 * httpHandler: API Gateway turns exactly `Error("Unauthorized")` into a 401,
 * and any other error into a 500, which is what an outage (say, the secret
 * cannot be read) should look like.
 */
export function createAuthorizerHandler({ verifier, logger, metrics }: AuthorizerDependencies) {
  return async (
    event: APIGatewayTokenAuthorizerEvent,
    context: Context,
  ): Promise<APIGatewayAuthorizerResult> => {
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
      flushMetrics(metrics);
    }
  };
}

/** The variables its template gives this function, and what it builds from them: no table, no DynamoDB client. */
export const authorizerEnvironment = {
  TOKEN_SECRET_ARN: nonEmpty,
  TOKEN_SIGNING_KEY_MAX_AGE_SECONDS: signingKeyMaxAge,
  // Login's token lifetime: the verifier refuses tokens meant to live longer.
  TOKEN_TTL_SECONDS: positiveInt,
};

export function createTokenVerifierFromConfig(
  config: ConfigOf<typeof authorizerEnvironment>,
  secrets: SecretsManagerClient = new SecretsManagerClient({}),
): TokenVerifier {
  return createTokenVerifier({
    keys: new SecretsManagerSigningKeySource(
      secrets,
      config.TOKEN_SECRET_ARN,
      config.TOKEN_SIGNING_KEY_MAX_AGE_SECONDS,
    ),
    limits: { maxLifetimeSeconds: config.TOKEN_TTL_SECONDS },
  });
}

export const handler = lazyHandler(() =>
  createAuthorizerHandler({
    verifier: createTokenVerifierFromConfig(loadConfig(authorizerEnvironment)),
    ...createObservability(loadObservabilityConfig()),
  }),
);
