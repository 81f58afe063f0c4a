import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
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
}
