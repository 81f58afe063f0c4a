import { DeleteCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { bare, env, ok } from "./bare";
import { documentClient } from "./dynamodb";

/** One DeleteItem returning the old item: DeregisterService. */
export async function handler(_event: unknown, context: Context) {
  return bare(context, async () => {
    const { Attributes } = await documentClient.send(
      new DeleteCommand({ TableName: env("BASELINE_TABLE"), Key: { id: "bench" }, ReturnValues: "ALL_OLD" }),
    );
    return ok(200, { removed: Attributes !== undefined });
  });
}
