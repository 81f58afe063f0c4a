import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { bare, env, ok } from "./bare";
import { documentClient } from "./dynamodb";

/** One consistent GetItem: GetLocation and GetService. */
export async function handler(_event: unknown, context: Context) {
  return bare(context, async () => {
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: env("BASELINE_TABLE"), Key: { id: "bench" }, ConsistentRead: true }),
    );
    return ok(200, Item);
  });
}
