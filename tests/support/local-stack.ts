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

/*
 * One stack per jest worker (tests/support/stack-environment.js), shared by
 * the files that need nothing but the default stack, one after another; each
 * file uses ids of its own and leaves any service it stops running again. A
 * file run in jest's own process (--runInBand, one file alone) gets its own.
 */
declare global {
  var meridianSharedStack: (() => Promise<TestStack>) | undefined;
}

let workerStack: TestStack | undefined;

export async function sharedTestStack(): Promise<TestStack> {
  if (globalThis.meridianSharedStack === undefined) return startTestStack();
  const stack = await globalThis.meridianSharedStack();
  workerStack = stack;
  // Each file sees only its own logs (and the 5000-entry cap applies per file).
  stack.logs.length = 0;
  return stack;
}

/** A file's afterAll: stops its stack unless it is the worker's shared one. */
export async function releaseTestStack(stack: TestStack | undefined): Promise<void> {
  if (stack !== undefined && stack !== workerStack) await stack.stop();
}

export { signedFetch, type TestStack };
