import { join } from "node:path";
import type { LocalStackOptions } from "../../src";
import { startTestStack, type TestStack } from "../support/stack";

/** Two small services (test/integration/fixtures) that exercise the stack's features. */
export const FIXTURE_SRC = join(__dirname, "fixtures", "src");
export const FIXTURE_ENVIRONMENTS = join(__dirname, "fixtures", "environments.yaml");

export function startFixtureStack(options: Partial<LocalStackOptions> = {}): Promise<TestStack> {
  return startTestStack({ srcDir: FIXTURE_SRC, environmentsFile: FIXTURE_ENVIRONMENTS, ...options });
}

export { call } from "../../src";
