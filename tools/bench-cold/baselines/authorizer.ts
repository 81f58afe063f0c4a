import { createHmac } from "node:crypto";
import type { Context } from "aws-lambda";
import { bare, env } from "./bare";
import { signingSecrets } from "./secrets";

/** The signing secret's two stages from Secrets Manager and one HMAC: the authorizer. */
export async function handler(event: { authorizationToken: string }, context: Context) {
  return bare(context, async () => {
    const [current] = await signingSecrets(env("TOKEN_SECRET_ARN"));
    const [header, payload] = event.authorizationToken.replace(/^Bearer /, "").split(".");
    createHmac("sha256", current ?? "")
      .update(`${header}.${payload}`)
      .digest("base64url");
    return { principalId: "bench", policyDocument: { Version: "2012-10-17", Statement: [] } };
  });
}
