import {
  type LocalStackOptions,
  signedFetch,
  startTestStack as startStack,
  type TestStack,
} from "@meridian/local-stack";
import { meridianProject } from "../../tools/lib/local-project";

/**
 * This repository's services on a local stack for one test file (ephemeral
 * ports, a temporary data directory, logs kept in `stack.logs`); options as
 * startLocalStack's, the project defaulting to this one.
 */

// The host may run an older Node than the Lambda runtime; the SDK's notice about it is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export function startTestStack(options: Partial<LocalStackOptions> = {}): Promise<TestStack> {
  return startStack({ project: meridianProject, ...options });
}

/** A file's afterAll: stops its stack, if beforeAll got as far as starting one. */
export async function releaseTestStack(stack: TestStack | undefined): Promise<void> {
  await stack?.stop();
}

export { signedFetch, type TestStack };
