import { randomUUID } from "node:crypto";
import { GetParameterCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { releaseTestStack, sharedTestStack, type TestStack } from "../support/local-stack";

/**
 * The login lock-out policy is read from SSM at run time with an expiring
 * cache (LockoutPolicyCacheSeconds, 1 s for `local` in environments.yaml), so
 * an operator's change applies without a redeploy.
 */

let stack: TestStack;
let ssm: SSMClient;
const POLICY = "/meridian/local/auth/lockout/policy";
const PASSWORD = "correct horse battery staple";
/** Past Login's cached copy of the policy (LockoutPolicyCacheSeconds), with room for a loaded machine. */
const PAST_POLICY_CACHE_MS = 1_500;

let deployedPolicy: string | undefined;

beforeAll(async () => {
  stack = await sharedTestStack();
  ssm = new SSMClient({ endpoint: stack.awsEndpoint, region: stack.region, credentials: stack.credentials });
  deployedPolicy = (await ssm.send(new GetParameterCommand({ Name: POLICY }))).Parameter?.Value;
}, 120_000);

// The stack may be the worker's shared one: the next file gets the deployed policy back, once
// Login's cached copy has expired.
afterAll(async () => {
  if (deployedPolicy === undefined) return;
  await ssm.send(
    new PutParameterCommand({ Name: POLICY, Value: deployedPolicy, Type: "String", Overwrite: true }),
  );
  await new Promise((resolve) => setTimeout(resolve, PAST_POLICY_CACHE_MS));
}, 10_000);

afterAll(() => releaseTestStack(stack));

afterAll(async () => {
  ssm?.destroy();
});

async function post(path: string, body: unknown): Promise<number> {
  const response = await fetch(`${stack.endpoints.auth}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await response.text();
  return response.status;
}

async function failures(count: number): Promise<number[]> {
  const username = `lock-${randomUUID().slice(0, 8)}`;
  expect(await post("/users", { username, password: PASSWORD })).toBe(201);
  const statuses: number[] = [];
  for (let attempt = 0; attempt < count; attempt++) {
    statuses.push(await post("/tokens", { username, password: "a wrong password" }));
  }
  return statuses;
}

test("the deployed policy comes from the template parameters of environment local", async () => {
  const { Parameter } = await ssm.send(new GetParameterCommand({ Name: POLICY }));
  expect(JSON.parse(Parameter?.Value ?? "null")).toEqual({ maxAttempts: 5, windowSeconds: 900 });
  expect(await failures(6)).toEqual([401, 401, 401, 401, 401, 429]);
});

test("a changed policy applies once the cache expires, without a redeploy", async () => {
  await ssm.send(
    new PutParameterCommand({
      Name: POLICY,
      Value: JSON.stringify({ maxAttempts: 2, windowSeconds: 60 }),
      Type: "String",
      Overwrite: true,
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, PAST_POLICY_CACHE_MS));
  expect(await failures(3)).toEqual([401, 401, 429]);
});
