import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type ConfigOf, nonEmpty } from "../shared/config";
import { createDocumentClient } from "../shared/dynamodb";
import { DynamoDbLocationStore } from "./adapters/dynamodb-location-store";
import { createLocationService, type LocationService } from "./domain/location";

/** What both location functions are given by their template. */
export const locationEnvironment = { LOCATIONS_TABLE_NAME: nonEmpty };
export type LocationConfig = ConfigOf<typeof locationEnvironment>;

export function createLocationServiceFromConfig(
  config: LocationConfig,
  dynamodb: DynamoDBDocumentClient = createDocumentClient(),
): LocationService {
  return createLocationService({ store: new DynamoDbLocationStore(dynamodb, config.LOCATIONS_TABLE_NAME) });
}
