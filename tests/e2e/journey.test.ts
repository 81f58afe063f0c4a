import { SSMClient } from "@aws-sdk/client-ssm";
import { startTestStack, type TestStack } from "../helpers/local-stack";
import { readEndpoints } from "./endpoints";
import { JOURNEY_STEPS, JourneyFailure, runJourney } from "./journey";

/**
 * The acceptance suite `npm run test:e2e -- --env <env>` runs after each
 * deploy, here against the local stack: its URLs read from the stack's SSM
 * endpoint as they are read from an AWS account's.
 */

let stack: TestStack;
let ssm: SSMClient;

beforeAll(async () => {
  stack = await startTestStack();
  ssm = new SSMClient({ endpoint: stack.awsEndpoint, region: stack.region, credentials: stack.credentials });
}, 120_000);

afterAll(async () => {
  ssm?.destroy();
  await stack?.stop();
});

test("the base URLs come from SSM /meridian/local/<service>/api/url, as the stack serves them", async () => {
  const endpoints = await readEndpoints(ssm, "local");
  expect(endpoints).toEqual({
    auth: stack.endpoints.auth,
    location: stack.endpoints.location,
    profile: stack.endpoints.profile,
    comments: stack.endpoints.comments,
  });
});

test("every step of the journey passes, in order", async () => {
  const passed: string[] = [];
  const results = await runJourney(await readEndpoints(ssm, "local"), {
    onStep: (result) => passed.push(result.step),
  });
  expect(results.map((result) => result.step)).toEqual(JOURNEY_STEPS.map(([step]) => step));
  expect(passed).toEqual(results.map((result) => result.step));
}, 90_000);

test("an environment that is not deployed is named, with the parameters it lacks", async () => {
  await expect(readEndpoints(ssm, "nowhere")).rejects.toThrow(
    /SSM has no \/meridian\/nowhere\/auth\/api\/url, .*is environment 'nowhere' deployed/,
  );
});

test("a wrong answer fails the journey at its step, with the request and the reply", async () => {
  const endpoints = await readEndpoints(ssm, "local");
  // Every auth call lands on profile's API, where /users is no route.
  const failure = runJourney({ ...endpoints, auth: endpoints.profile });
  await expect(failure).rejects.toThrow(JourneyFailure);
  await expect(failure).rejects.toThrow(
    /^step "register a user \(201\)" failed: POST \/.*\/users answered 4\d\d .*; expected 201$/s,
  );
});
