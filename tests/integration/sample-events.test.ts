import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { invokeOnStack, readEvent, sampleUserToken, withBearer } from "../../tools/invoke";
import { poll } from "../../tools/lib/cli";
import { ROOT } from "../../tools/lib/project";
import type { StackState } from "../../tools/lib/stack-state";
import { startTestStack, type TestStack } from "../support/local-stack";

/**
 * events/README.md's table, run top to bottom on a fresh stack through
 * `npm run invoke`'s own code: each sample event answers what the table says.
 */

interface Row {
  target: string;
  eventFile: string;
  tokenFromLogin: boolean;
  expected: string;
}

function tableRows(): Row[] {
  const table = readFileSync(join(ROOT, "events", "README.md"), "utf8");
  return [
    ...table.matchAll(/^\| `npm run invoke -- (\S+) --event (\S+?)( --token-from-login)?` \| (\S+) \|/gm),
  ].map(([, target = "", eventFile = "", flag, expected = ""]) => ({
    target,
    eventFile,
    tokenFromLogin: flag !== undefined,
    expected,
  }));
}

/**
 * What the function answered, in the table's terms: an HTTP status, a policy's effect, a
 * registrar's action, or a catalog lookup's status (its plain result, behind a non-proxy integration).
 */
function answer(payload: unknown): string {
  const result = payload as {
    statusCode?: number;
    policyDocument?: { Statement?: Array<{ Effect?: string }> };
    action?: string;
    status?: string;
  };
  return String(
    result.statusCode ?? result.policyDocument?.Statement?.[0]?.Effect ?? result.action ?? result.status,
  );
}

let stack: TestStack;
let state: StackState;

beforeAll(async () => {
  stack = await startTestStack({ schedules: true });
  state = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    environment: stack.environment,
    region: stack.region,
    dataDir: stack.dataDir,
    gatewayUrl: stack.gatewayUrl,
    dynamodbEndpoint: stack.dynamodbEndpoint,
    awsEndpoint: stack.awsEndpoint,
    credentials: stack.credentials,
    endpoints: stack.endpoints,
    apiOrigins: stack.apiOrigins,
    functions: stack.functions,
  };
  // The table's GetServiceFunction row relies on the registrars' first run, about 1 s after start.
  await poll("location's first registration", async () => {
    const reply = await fetch(`${stack.endpoints.catalog}/catalog/location/v1`);
    await reply.arrayBuffer();
    return reply.status === 200 || undefined;
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

test("the table covers every sample event in events/", () => {
  const listed = tableRows().map((row) => row.eventFile);
  const files = readdirSync(join(ROOT, "events"))
    .filter((name) => name.endsWith(".json"))
    .map((name) => `events/${name}`);
  expect([...listed].sort()).toEqual(files.sort());
});

test("each sample event answers what events/README.md says, in its order", async () => {
  const answers: Array<[string, string]> = [];
  for (const row of tableRows()) {
    let event = readEvent(join(ROOT, row.eventFile));
    if (row.tokenFromLogin) event = withBearer(event, await sampleUserToken(state));
    const { outcome } = await invokeOnStack(state, row.target, event, { log: () => undefined });
    // "fails" is a row whose note says why it cannot succeed locally; any other failure shows its message.
    const expectedFailure =
      row.expected === "fails" &&
      !outcome.ok &&
      /fetch failed|ENOTFOUND codedeploy/.test(outcome.error.errorMessage);
    answers.push([
      row.target,
      outcome.ok
        ? answer(outcome.payload)
        : expectedFailure
          ? "fails"
          : `failed: ${outcome.error.errorMessage}`,
    ]);
  }
  expect(answers).toEqual(tableRows().map((row) => [row.target, row.expected]));
  // At least the 14 rows the table has today: fewer means the table no longer parses.
  expect(answers.length).toBeGreaterThanOrEqual(14);
}, 180_000);
