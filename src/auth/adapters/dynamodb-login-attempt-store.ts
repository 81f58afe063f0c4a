import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "../../shared/dynamodb";
import * as z from "../../shared/schema";
import type { LoginAttemptStore, LoginAttemptWindow } from "../domain/ports";

const attemptItemSchema = z.object({
  attempts: z.number().check(z.int(), z.nonnegative()),
  windowStartedAt: z.number().check(z.int()),
});

export const loginFailureKey = (username: string) => `LOGINFAIL#${username}`;

/**
 * Login attempt windows in the service's single table,
 * `pk = LOGINFAIL#<username>`, with `expiresAt` for the table's TTL. Every
 * change is one conditional UpdateItem on the previous value (no
 * transactions), so concurrent attempts cannot overwrite each other's counts.
 */
export class DynamoDbLoginAttemptStore implements LoginAttemptStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(username: string): Promise<LoginAttemptWindow | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: loginFailureKey(username) },
        ConsistentRead: true,
      }),
    );
    if (Item === undefined) return undefined;
    const parsed = attemptItemSchema.safeParse(Item);
    if (!parsed.success) throw new Error(`Login attempt item ${loginFailureKey(username)} is malformed`);
    return parsed.data;
  }

  async replace(
    username: string,
    next: LoginAttemptWindow,
    expected: LoginAttemptWindow | undefined,
    expiresAt: number,
  ): Promise<boolean> {
    const condition =
      expected === undefined
        ? { ConditionExpression: "attribute_not_exists(pk)" }
        : {
            ConditionExpression:
              "attempts = :expectedAttempts AND windowStartedAt = :expectedWindowStartedAt",
          };
    const expectedValues =
      expected === undefined
        ? {}
        : { ":expectedAttempts": expected.attempts, ":expectedWindowStartedAt": expected.windowStartedAt };
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: loginFailureKey(username) },
          UpdateExpression:
            "SET attempts = :attempts, windowStartedAt = :windowStartedAt, expiresAt = :expiresAt",
          ...condition,
          ExpressionAttributeValues: {
            ":attempts": next.attempts,
            ":windowStartedAt": next.windowStartedAt,
            ":expiresAt": expiresAt,
            ...expectedValues,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async clear(username: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: loginFailureKey(username) } }),
    );
  }
}
