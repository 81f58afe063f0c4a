import { join } from "node:path";
import type { LocalStackOptions } from "../../src";
import { startTestStack, type TestStack } from "../support/stack";

/** Two small services (test/integration/fixtures) that exercise the stack's features. */
export const FIXTURE_SRC = join(__dirname, "fixtures", "src");
export const FIXTURE_ENVIRONMENTS = join(__dirname, "fixtures", "environments.yaml");

export function startFixtureStack(options: Partial<LocalStackOptions> = {}): Promise<TestStack> {
  return startTestStack({ srcDir: FIXTURE_SRC, environmentsFile: FIXTURE_ENVIRONMENTS, ...options });
}

export interface JsonReply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: replies are asserted structurally
  body: any;
  text: string;
}

export async function call(
  method: string,
  url: string,
  options: { body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<JsonReply> {
  const response = await fetch(url, { method, headers: options.headers, body: options.body });
  const text = await response.text();
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}
