import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "../../shared/dynamodb";
import type { Profile, ProfileStore } from "../domain/ports";

export class DynamoDbProfileStore implements ProfileStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(userId: string): Promise<Profile | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { userId }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      userId: String(Item.userId),
      displayName: String(Item.displayName),
      bio: typeof Item.bio === "string" ? Item.bio : null,
      version: Number(Item.version),
      updatedAt: String(Item.updatedAt),
    };
  }

  create(profile: Profile, expiresAt?: number): Promise<boolean> {
    return this.conditionalPut(profile, expiresAt, "attribute_not_exists(userId)", {});
  }

  replace(profile: Profile, expectedVersion: number, expiresAt?: number): Promise<boolean> {
    // A missing item has no `version`, so this also fails when there is nothing to replace.
    return this.conditionalPut(profile, expiresAt, "version = :expected", { ":expected": expectedVersion });
  }

  private async conditionalPut(
    profile: Profile,
    expiresAt: number | undefined,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: expiresAt === undefined ? profile : { ...profile, expiresAt },
          ConditionExpression: condition,
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
