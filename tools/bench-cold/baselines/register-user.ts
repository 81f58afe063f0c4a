import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { bare, env, ok } from "./bare";
import { documentClient } from "./dynamodb";
import { scryptOnce } from "./scrypt";

/** One scrypt and one conditional PutItem: Register. */
export async function handler(_event: unknown, context: Context) {
  return bare(context, async () => {
    const key = await scryptOnce("correct horse battery staple");
    await documentClient.send(
      new PutCommand({
        TableName: env("BASELINE_TABLE"),
        Item: { pk: "USER#bench", hash: key.toString("base64") },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    return ok(201, {});
  });
}
