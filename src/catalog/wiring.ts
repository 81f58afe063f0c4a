import { loadConfig, nonEmpty } from "../shared/config";
import { documentClient } from "../shared/dynamodb";
import { DynamoServiceRegistryStore } from "./adapters/dynamo-service-registry-store";
import { createCatalog } from "./domain/catalog";

const config = loadConfig({ CATALOG_TABLE_NAME: nonEmpty });

export const catalog = createCatalog({
  store: new DynamoServiceRegistryStore(documentClient, config.CATALOG_TABLE_NAME),
});
