import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "../../shared/dynamodb";
import type { Location, LocationStore } from "../domain/ports";

export class DynamoDbLocationStore implements LocationStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(userId: string): Promise<Location | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { userId }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      userId: String(Item.userId),
      latitude: Number(Item.latitude),
      longitude: Number(Item.longitude),
      updatedAt: String(Item.updatedAt),
    };
  }

  async putIfNotOlder(location: Location, expiresAt?: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: expiresAt === undefined ? location : { ...location, expiresAt },
          // ISO 8601 UTC strings of one format order the same as the instants.
          ConditionExpression: "attribute_not_exists(userId) OR updatedAt <= :updatedAt",
          ExpressionAttributeValues: { ":updatedAt": location.updatedAt },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
