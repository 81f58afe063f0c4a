import { loadConfig, nonEmpty } from "../shared/config";
import { documentClient } from "../shared/dynamodb";
import { DynamoLocationStore } from "./adapters/dynamo-location-store";
import { createLocationService } from "./domain/location";

const config = loadConfig({ LOCATIONS_TABLE_NAME: nonEmpty });

export const locations = createLocationService({
  store: new DynamoLocationStore(documentClient, config.LOCATIONS_TABLE_NAME),
});
