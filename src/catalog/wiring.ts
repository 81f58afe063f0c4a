import { loadConfig, nonEmpty, positiveInt } from "../shared/config";
import { documentClient } from "../shared/dynamodb";
import { DynamoServiceRegistryStore } from "./adapters/dynamo-service-registry-store";
import { createCatalog } from "./domain/catalog";
import { createRegistrarCheck } from "./domain/registrar-identity";

// Every catalog API function is given REGISTRATION_EXPIRY_SECONDS, deregister
// included, since they share this root: lookups need it for registrations
// written before they carried expires_at.
const config = loadConfig({
  CATALOG_TABLE_NAME: nonEmpty,
  REGISTRATION_EXPIRY_SECONDS: positiveInt,
  REGISTRAR_FUNCTION_NAME: nonEmpty,
});

export const catalog = createCatalog({
  store: new DynamoServiceRegistryStore(documentClient, config.CATALOG_TABLE_NAME),
  registrationExpirySeconds: config.REGISTRATION_EXPIRY_SECONDS,
});

export const registrars = createRegistrarCheck(config.REGISTRAR_FUNCTION_NAME);
