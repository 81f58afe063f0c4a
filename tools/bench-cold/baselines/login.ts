import { createHmac } from "node:crypto";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { BatchGetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { bare, env, ok } from "./bare";
import { documentClient } from "./dynamodb";
import { scryptOnce } from "./scrypt";
import { signingSecrets } from "./secrets";

const ssm = new SSMClient({});

/**
 * Login's calls on success: the lock-out policy from SSM, the user and the
 * unknown-user guard in one BatchGetItem, one scrypt, the guard written back
 * (UpdateItem), the signing secret read and one HMAC.
 */
export async function handler(_event: unknown, context: Context) {
  return bare(context, async () => {
    const table = env("USERS_TABLE_NAME");
    await ssm.send(new GetParameterCommand({ Name: env("LOCKOUT_POLICY_PARAMETER") }));
    await documentClient.send(
      new BatchGetCommand({
        RequestItems: {
          [table]: {
            Keys: [{ pk: "USER#bench_user" }, { pk: "LOGINFAIL#bench_user" }],
            ConsistentRead: true,
          },
        },
      }),
    );
    await scryptOnce("correct horse battery staple");
    await documentClient.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: "USER#bench_user" },
        UpdateExpression: "SET loginGuard = :guard",
        ExpressionAttributeValues: { ":guard": { version: 1 } },
      }),
    );
    const [current] = await signingSecrets(env("TOKEN_SECRET_ARN"));
    const token = createHmac("sha256", current ?? "")
      .update("header.payload")
      .digest("base64url");
    return ok(201, { token });
  });
}
