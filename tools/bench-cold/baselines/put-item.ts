import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { bare, env, ok } from "./bare";
import { documentClient } from "./dynamodb";

/** One conditional PutItem: PutLocation, PutProfile and RegisterService. */
export async function handler(_event: unknown, context: Context) {
  return bare(context, async () => {
    await documentClient.send(
      new PutCommand({
        TableName: env("BASELINE_TABLE"),
        Item: { id: "bench", updatedAt: new Date().toISOString() },
        ConditionExpression: "attribute_not_exists(id) OR updatedAt <= :updatedAt",
        ExpressionAttributeValues: { ":updatedAt": new Date().toISOString() },
      }),
    );
    return ok(200, {});
  });
}
