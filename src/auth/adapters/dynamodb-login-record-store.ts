import { BatchGetCommand, type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "../../shared/dynamodb";
import * as z from "../../shared/schema";
import type { LoginGuard, LoginRecord, LoginRecordStore, LoginRecordWrite } from "../domain/ports";
import { userItemSchema, userKey } from "./dynamodb-user-repository";

const count = z.number().check(z.int(), z.nonnegative());
const guardSchema = z.object({
  version: count,
  failures: count,
  lastFailureAt: z.number(),
  nextAttemptAt: z.number(),
  addresses: z.record(z.string(), z.object({ failures: count, since: z.number() })),
  known: z.record(z.string(), z.number()),
});

/** The guard of a username nobody has registered: `pk = LOGINFAIL#<username>`, with `expiresAt` for the TTL. */
const unknownUserGuardKey = (username: string) => `LOGINFAIL#${username}`;

// BatchGetItem may leave keys unprocessed when throttled; they are asked for
// again, a bounded number of times, before the login fails as a 500.
const MAX_BATCH_ROUNDS = 3;

/**
 * Login's two requests in the service's single table. A user's guard is the
 * `loginGuard` attribute of their own item (which has no TTL), so the rehash
 * of a password joins the same UpdateItem; an unknown username's guard is an
 * item of its own. Both are read in one consistent BatchGetItem.
 */
export class DynamoDbLoginRecordStore implements LoginRecordStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(username: string): Promise<LoginRecord> {
    const items = await this.batchGet([userKey(username), unknownUserGuardKey(username)]);
    const userItem = items.get(userKey(username));
    if (userItem !== undefined) {
      const user = userItemSchema.safeParse(userItem);
      // A plain Error (not a validation error) so a corrupt record is a 500, not a 400.
      if (!user.success) throw new Error(`User item ${userKey(username)} is malformed`);
      return { user: user.data, guard: parseGuard(userItem.loginGuard, userKey(username)) };
    }
    const unknown = items.get(unknownUserGuardKey(username));
    return { guard: parseGuard(unknown?.loginGuard, unknownUserGuardKey(username)) };
  }

  async write(username: string, write: LoginRecordWrite): Promise<boolean> {
    const key = write.userExists ? userKey(username) : unknownUserGuardKey(username);
    const sets = ["loginGuard = :guard"];
    const values: Record<string, unknown> = { ":guard": write.next };
    if (write.expectedVersion !== undefined) values[":version"] = write.expectedVersion;
    if (write.userExists && write.passwordHash !== undefined) {
      sets.push("passwordHash = :passwordHash");
      values[":passwordHash"] = write.passwordHash;
    }
    if (!write.userExists) {
      sets.push("expiresAt = :expiresAt");
      values[":expiresAt"] = write.expiresAt;
    }
    const guardUnchanged =
      write.expectedVersion === undefined
        ? "attribute_not_exists(loginGuard)"
        : "loginGuard.version = :version";
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: key },
          UpdateExpression: `SET ${sets.join(", ")}`,
          // A user item must still exist: the update must never create a half user.
          ConditionExpression: write.userExists
            ? `attribute_exists(pk) AND ${guardUnchanged}`
            : guardUnchanged,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  private async batchGet(keys: string[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    let pending = keys.map((pk) => ({ pk }));
    for (let round = 0; round < MAX_BATCH_ROUNDS && pending.length > 0; round++) {
      const { Responses, UnprocessedKeys } = await this.client.send(
        new BatchGetCommand({
          // Consistent, so a user can log in the moment registration returns, and counts are current.
          RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
        }),
      );
      for (const item of Responses?.[this.tableName] ?? []) found.set(String(item.pk), item);
      pending = (UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Array<{ pk: string }>;
    }
    if (pending.length > 0) throw new Error("BatchGetItem left keys unprocessed (throttled)");
    return found;
  }
}

function parseGuard(value: unknown, key: string): LoginGuard | undefined {
  if (value === undefined) return undefined;
  const parsed = guardSchema.safeParse(value);
  if (!parsed.success) throw new Error(`Login guard of ${key} is malformed`);
  return parsed.data;
}
