import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type ConfigOf, nonEmpty, positiveInt } from "../shared/config";
import { createDocumentClient } from "../shared/dynamodb";
import { DynamoDbServiceRegistryStore } from "./adapters/dynamodb-service-registry-store";
import { type Catalog, createCatalog } from "./domain/catalog";
import { createRegistrarCheck, type RegistrarCheck } from "./domain/registrar-identity";

// Every catalog API function is given REGISTRATION_EXPIRY_SECONDS, deregister
// included, since they share this wiring: lookups need it for registrations
// written before they carried expires_at.
export const catalogEnvironment = {
  CATALOG_TABLE_NAME: nonEmpty,
  REGISTRATION_EXPIRY_SECONDS: positiveInt,
  REGISTRAR_FUNCTION_NAME: nonEmpty,
};
export type CatalogConfig = ConfigOf<typeof catalogEnvironment>;

export interface CatalogDependencies {
  catalog: Catalog;
  registrars: RegistrarCheck;
}

export function createCatalogDependenciesFromConfig(
  config: CatalogConfig,
  dynamodb: DynamoDBDocumentClient = createDocumentClient(),
): CatalogDependencies {
  return {
    catalog: createCatalog({
      store: new DynamoDbServiceRegistryStore(dynamodb, config.CATALOG_TABLE_NAME),
      registrationExpirySeconds: config.REGISTRATION_EXPIRY_SECONDS,
    }),
    registrars: createRegistrarCheck(config.REGISTRAR_FUNCTION_NAME),
  };
}
