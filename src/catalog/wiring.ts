import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type ConfigOf, nonEmpty, positiveInt } from "../shared/config";
import { createDocumentClient } from "../shared/dynamodb";
import { DynamoDbServiceRegistryStore } from "./adapters/dynamodb-service-registry-store";
import { type Catalog, createCatalog } from "./domain/catalog";
import { createRegistrarCheck, type RegistrarCheck } from "./domain/registrar-identity";

// Every catalog function is given REGISTRATION_EXPIRY_SECONDS, deregister
// included, since they share this wiring: lookups need it for registrations
// written before they carried expires_at.
export const catalogEnvironment = {
  CATALOG_TABLE_NAME: nonEmpty,
  REGISTRATION_EXPIRY_SECONDS: positiveInt,
};
export type CatalogConfig = ConfigOf<typeof catalogEnvironment>;

/** Register and deregister also check the caller: only a service's own registrar may change its registration. */
export const registrationEnvironment = { ...catalogEnvironment, REGISTRAR_FUNCTION_NAME: nonEmpty };
export type RegistrationConfig = ConfigOf<typeof registrationEnvironment>;

export interface RegistrationDependencies {
  catalog: Catalog;
  registrars: RegistrarCheck;
}

export function createCatalogFromConfig(
  config: CatalogConfig,
  dynamodb: DynamoDBDocumentClient = createDocumentClient(),
): Catalog {
  return createCatalog({
    store: new DynamoDbServiceRegistryStore(dynamodb, config.CATALOG_TABLE_NAME),
    registrationExpirySeconds: config.REGISTRATION_EXPIRY_SECONDS,
  });
}

export function createRegistrationDependenciesFromConfig(
  config: RegistrationConfig,
  dynamodb: DynamoDBDocumentClient = createDocumentClient(),
): RegistrationDependencies {
  return {
    catalog: createCatalogFromConfig(config, dynamodb),
    registrars: createRegistrarCheck(config.REGISTRAR_FUNCTION_NAME),
  };
}
