import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { UsageError } from "./cli";

/** What to do when the SDK finds no usable credentials; the SDK's own message names none of it. */
const NO_CREDENTIALS_HINT =
  "run `aws configure` (access keys), `export AWS_PROFILE=<profile>` (a named profile), or `aws sso login` (IAM Identity Center; also when a session expired)";

/**
 * Resolves credentials the way the SDK clients will, before anything is
 * packaged or uploaded, so a missing or expired login fails first, in one
 * line that says how to log in.
 */
export async function requireAwsCredentials(
  resolve: () => Promise<unknown> = defaultProvider(),
): Promise<void> {
  try {
    await resolve();
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0] ?? "";
    throw new UsageError(`No AWS credentials (${reason}): ${NO_CREDENTIALS_HINT}`);
  }
}
