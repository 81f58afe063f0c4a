import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import {
  type CatalogClient,
  createCatalogClient,
  resolveEndpoint,
  serviceVersionSchema,
} from "../shared/catalog-client";
import { baseUrl, type ConfigOf, nonEmpty, positiveInt } from "../shared/config";
import { createDocumentClient } from "../shared/dynamodb";
import type { HttpFetch } from "../shared/http-request";
import type { Logger } from "../shared/observability";
import * as z from "../shared/schema";
import { createSignedHttpClient } from "../shared/signed-http";
import { DynamoDbProfileStore } from "./adapters/dynamodb-profile-store";
import { type LocationEndpoint, SignedLocationReader } from "./adapters/signed-location-reader";
import { createProfileReader, type ProfileReader } from "./domain/profile";

/*
 * One environment and one builder per function, so a function is configured
 * with (and fails fast on) only its own variables: the PUT function has no
 * business knowing where the location service is.
 */

/** The catalog name location registers under (its registrar's SERVICE_NAME). */
const LOCATION_SERVICE_NAME = "location";

export const profileReaderEnvironment = {
  PROFILES_TABLE_NAME: nonEmpty,
  /** Location's base URL as published in SSM at deploy time: the whole answer with `ssm`, the fallback with `catalog`. */
  LOCATION_API_URL: baseUrl,
  LOCATION_TIMEOUT_MS: positiveInt,
  LOCATION_DISCOVERY: z.enum(["catalog", "ssm"]),
  LOCATION_SERVICE_VERSION: serviceVersionSchema,
  /** Needed only with LOCATION_DISCOVERY=catalog (checked in createProfileReaderFromConfig). */
  CATALOG_API_URL: z.optional(baseUrl),
  CATALOG_TIMEOUT_MS: z._default(positiveInt, 1500),
  AWS_REGION: nonEmpty,
};

export type ProfileReaderConfig = ConfigOf<typeof profileReaderEnvironment>;

export interface ProfileReaderClients {
  dynamodb?: DynamoDBDocumentClient;
  /** The transport of the catalog lookups and the signed reads; node:http unless a test hands in another. */
  fetch?: HttpFetch;
  credentials?: AwsCredentialIdentityProvider;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * Where location is, per read. With `catalog` the catalog's answer wins and
 * LOCATION_API_URL is the fallback for "not registered" and "catalog
 * unreachable"; an `unhealthy` answer rejects, so the read degrades without
 * calling location at all.
 *
 * Reads are SigV4-signed with this function's role, and any registrar may
 * register any name, so the catalog is trusted with the path (the stage, say)
 * but not with where the request goes: an endpoint_url whose origin (scheme,
 * host, port) is not LOCATION_API_URL's is ignored for LOCATION_API_URL. The
 * catalog refuses an endpoint_url with a query, fragment or user info, and the
 * reader refuses a position for any other user than the one it asked about,
 * so a path cannot point the read at someone else's position either.
 */
export function locationEndpoint(
  config: Pick<ProfileReaderConfig, "LOCATION_DISCOVERY" | "LOCATION_API_URL" | "LOCATION_SERVICE_VERSION">,
  catalog: CatalogClient | undefined,
  logger: Logger,
): LocationEndpoint {
  if (config.LOCATION_DISCOVERY === "ssm") return config.LOCATION_API_URL;
  if (!catalog) throw new Error("Invalid configuration: LOCATION_DISCOVERY=catalog needs a catalog client");
  const trustedOrigin = originOf(config.LOCATION_API_URL);
  return async () => {
    const resolved = await resolveEndpoint(
      catalog,
      LOCATION_SERVICE_NAME,
      config.LOCATION_SERVICE_VERSION,
      config.LOCATION_API_URL,
    );
    if (resolved.source === "fallback") {
      // The catalog client swallowed why; this line is how a silent fallback shows up in the logs.
      logger.debug("Location endpoint from configuration, not the catalog");
      return resolved.url;
    }
    const advertisedOrigin = originOf(resolved.url);
    if (trustedOrigin === undefined || advertisedOrigin !== trustedOrigin) {
      // Origins only: no path, query or user info from the catalog's answer reaches the log.
      logger.warn("Catalog endpoint for location ignored: its origin is not LOCATION_API_URL's", {
        advertisedOrigin,
        expectedOrigin: trustedOrigin,
      });
      return config.LOCATION_API_URL;
    }
    return resolved.url;
  };
}

export function createProfileReaderFromConfig(
  config: ProfileReaderConfig,
  logger: Logger,
  clients: ProfileReaderClients = {},
): ProfileReader {
  const transport = clients.fetch ? { fetch: clients.fetch } : {};
  let catalog: CatalogClient | undefined;
  if (config.LOCATION_DISCOVERY === "catalog") {
    if (config.CATALOG_API_URL === undefined) {
      throw new Error("Invalid configuration: CATALOG_API_URL: required when LOCATION_DISCOVERY is catalog");
    }
    // One client per execution environment (this runs once, on the first
    // invocation), so its ttl cache serves every later invocation.
    catalog = createCatalogClient({
      catalogUrl: config.CATALOG_API_URL,
      timeoutMs: config.CATALOG_TIMEOUT_MS,
      ...transport,
    });
  }
  // The reader passes LOCATION_TIMEOUT_MS with each request: one deadline, set in one place.
  const client = createSignedHttpClient({
    region: config.AWS_REGION,
    service: "execute-api",
    ...transport,
    ...(clients.credentials ? { credentials: clients.credentials } : {}),
  });
  return createProfileReader({
    store: new DynamoDbProfileStore(clients.dynamodb ?? createDocumentClient(), config.PROFILES_TABLE_NAME),
    locations: new SignedLocationReader(
      client,
      locationEndpoint(config, catalog, logger),
      config.LOCATION_TIMEOUT_MS,
    ),
  });
}
