import { meridianProject } from "../../../../tools/lib/local-project";
import { type LocalStackOptions, startTestStack as startStack, type TestStack } from "../../src";

/**
 * The package's tests run templates laid out by docs/conventions.md (their
 * fixtures, or this repository's services), loaded by the repository's own
 * loader: the one place these tests reach outside the package.
 */
export const testProject = meridianProject;

export function startTestStack(options: Partial<LocalStackOptions> = {}): Promise<TestStack> {
  return startStack({ project: testProject, ...options });
}

export { signedFetch, type TestStack } from "../../src";
