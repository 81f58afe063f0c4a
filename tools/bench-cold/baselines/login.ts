import { createHmac } from "node:crypto";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { DeleteCommand, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { bare, env, ok } from "./bare";
import { documentClient } from "./dynamodb";
import { scryptOnce } from "./scrypt";
import { signingSecrets } from "./secrets";

const ssm = new SSMClient({});

/**
 * Login's calls on success: the lock-out policy from SSM, the attempt window
 * read and written, the user read, one scrypt, the window cleared, the
 * signing secret read and one HMAC.
 */
export async function handler(_event: unknown, context: Context) {
  return bare(context, async () => {
    const table = env("USERS_TABLE_NAME");
    await ssm.send(new GetParameterCommand({ Name: env("LOCKOUT_POLICY_PARAMETER") }));
    await documentClient.send(new GetCommand({ TableName: table, Key: { pk: "LOGINFAIL#bench" } }));
    await documentClient.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: "LOGINFAIL#bench" },
        UpdateExpression: "SET attempts = :one",
        ExpressionAttributeValues: { ":one": 1 },
      }),
    );
    await documentClient.send(new GetCommand({ TableName: table, Key: { pk: "USER#bench" } }));
    await scryptOnce("correct horse battery staple");
    await documentClient.send(new DeleteCommand({ TableName: table, Key: { pk: "LOGINFAIL#bench" } }));
    const [current] = await signingSecrets(env("TOKEN_SECRET_ARN"));
    const token = createHmac("sha256", current ?? "")
      .update("header.payload")
      .digest("base64url");
    return ok(201, { token });
  });
}
