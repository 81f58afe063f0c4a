import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "../../shared/dynamodb";
import * as z from "../../shared/schema";
import type { UserRecord, UserRepository } from "../domain/ports";

export const userItemSchema = z.object({
  userId: z.string(),
  username: z.string(),
  passwordHash: z.string(),
  createdAt: z.string(),
  expiresAt: z.optional(z.number()),
});

export const userKey = (username: string) => `USER#${username}`;

/** Users in the service's single table, one item per username: `pk = USER#<username>`. */
export class DynamoDbUserRepository implements UserRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(user: UserRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: userKey(user.username), ...user },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async replacePasswordHash(username: string, expectedHash: string, newHash: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: userKey(username) },
          UpdateExpression: "SET passwordHash = :new",
          ConditionExpression: "attribute_exists(pk) AND passwordHash = :expected",
          ExpressionAttributeValues: { ":new": newHash, ":expected": expectedHash },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async findByUsername(username: string): Promise<UserRecord | undefined> {
    // Consistent, so a user can log in the moment registration returns.
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: userKey(username) }, ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const parsed = userItemSchema.safeParse(Item);
    // A plain Error (not the ZodError) so a corrupt record is a 500, not a 400.
    if (!parsed.success) throw new Error(`User item ${userKey(username)} is malformed`);
    return parsed.data;
  }
}
