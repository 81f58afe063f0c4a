import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { serviceStatusSchema } from "../../shared/catalog-client";
import type { ServiceKey, ServiceRecord, ServiceRegistryStore, StoredServiceRecord } from "../domain/ports";

/**
 * Items are keyed `name` (HASH) + `version` (RANGE), the table layout of the
 * original design. `ttl` is a plain number of seconds for clients to cache by,
 * not DynamoDB's TTL: that is on `expires_at`, and only tidies the table, as
 * lookups already ignore an expired registration.
 */
export class DynamoDbServiceRegistryStore implements ServiceRegistryStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(key: ServiceKey): Promise<StoredServiceRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { name: key.service_name, version: key.service_version },
        // A registrar that just marked a service unhealthy must be believed at once.
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    const status = serviceStatusSchema.safeParse(Item.status);
    return {
      service_name: String(Item.name),
      service_version: String(Item.version),
      endpoint_url: String(Item.endpoint_url),
      ttl: Number(Item.ttl),
      // An item written by hand with an unknown status is not advertised as usable.
      status: status.success ? status.data : "unhealthy",
      updated_at: String(Item.updated_at),
      // Absent on items written before registrations expired; the domain falls back to updated_at.
      ...(typeof Item.expires_at === "number" ? { expires_at: Item.expires_at } : {}),
    };
  }

  async put(record: ServiceRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          name: record.service_name,
          version: record.service_version,
          endpoint_url: record.endpoint_url,
          ttl: record.ttl,
          status: record.status,
          updated_at: record.updated_at,
          expires_at: record.expires_at,
        },
      }),
    );
  }

  async delete(key: ServiceKey): Promise<boolean> {
    const { Attributes } = await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { name: key.service_name, version: key.service_version },
        ReturnValues: "ALL_OLD",
      }),
    );
    return Attributes !== undefined;
  }
}
