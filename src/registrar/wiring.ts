import { APIGatewayClient } from "@aws-sdk/client-api-gateway";
import { LambdaClient } from "@aws-sdk/client-lambda";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { serviceNameSchema, serviceVersionSchema, ttlSchema } from "../shared/catalog-client";
import { baseUrl, type ConfigOf, nonEmpty, positiveInt } from "../shared/config";
import type { HttpFetch } from "../shared/http-request";
import * as z from "../shared/schema";
import { createSignedHttpClient, type SignedHttpClient } from "../shared/signed-http";
import { AwsPartsInspector } from "./adapters/aws-parts-inspector";
import { HttpCatalogRegistry } from "./adapters/http-catalog-registry";
import type { Part, PartsInspector } from "./domain/ports";
import { createRegistrar, type Registrar } from "./domain/registrar";

/**
 * The one registrar module every service's template points at; it is told
 * what to check and what to register through its environment alone.
 */
export const registrarEnvironment = {
  SERVICE_NAME: serviceNameSchema,
  SERVICE_VERSION: serviceVersionSchema,
  /** Comma-separated function names (or ARNs) of the service's parts. */
  FUNCTION_NAMES: z._default(z.string(), ""),
  REST_API_ID: z.optional(z.string()),
  /** The stage of REST_API_ID that API_URL points at; required with it. */
  REST_API_STAGE: z.optional(z.string()),
  /** The endpoint_url to register: the service's API base URL. */
  API_URL: baseUrl,
  CATALOG_API_URL: baseUrl,
  /** How long clients may cache the registration; every registrar's template sets it. */
  REGISTRATION_TTL_SECONDS: z.pipe(z.coerce.number(), ttlSchema),
  CATALOG_TIMEOUT_MS: z._default(positiveInt, 3000),
  AWS_REGION: nonEmpty,
};

export function partsFrom(
  functionNames: string,
  restApiId: string | undefined,
  restApiStage: string | undefined,
): Part[] {
  const functions = functionNames
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "")
    .map((name): Part => ({ kind: "function", name }));
  const id = restApiId?.trim();
  if (!id) return functions;
  const stage = restApiStage?.trim();
  if (!stage) throw new Error("Invalid configuration: REST_API_STAGE is required with REST_API_ID");
  return [...functions, { kind: "rest-api", id, stage }];
}

export interface RegistrarOverrides {
  inspector?: PartsInspector;
  http?: SignedHttpClient;
  /** For the signed client built when `http` is not given. */
  fetch?: HttpFetch;
  credentials?: AwsCredentialIdentityProvider;
}

export type RegistrarEnvironmentConfig = ConfigOf<typeof registrarEnvironment>;

export function createRegistrarFromConfig(
  config: RegistrarEnvironmentConfig,
  overrides: RegistrarOverrides = {},
): Registrar {
  const http =
    overrides.http ??
    createSignedHttpClient({
      region: config.AWS_REGION,
      service: "execute-api",
      defaultTimeoutMs: config.CATALOG_TIMEOUT_MS,
      ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
      ...(overrides.credentials ? { credentials: overrides.credentials } : {}),
    });
  return createRegistrar({
    config: {
      serviceName: config.SERVICE_NAME,
      serviceVersion: config.SERVICE_VERSION,
      endpointUrl: config.API_URL,
      ttlSeconds: config.REGISTRATION_TTL_SECONDS,
      parts: partsFrom(config.FUNCTION_NAMES, config.REST_API_ID, config.REST_API_STAGE),
    },
    inspector: overrides.inspector ?? new AwsPartsInspector(new LambdaClient({}), new APIGatewayClient({})),
    registry: new HttpCatalogRegistry(http, config.CATALOG_API_URL),
  });
}
