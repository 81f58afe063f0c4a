import { DynamoDBClient, GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { TEST_ACCOUNT_LIFETIME_SECONDS } from "../../src/shared/test-accounts";
import { releaseTestStack, sharedTestStack, type TestStack } from "../support/local-stack";
import { readEndpoints } from "./endpoints";
import { JOURNEY_STEPS, JourneyFailure, runJourney } from "./journey";

/**
 * The acceptance suite `npm run test:e2e -- --env <env>` runs after each
 * deploy, here against the local stack: its URLs read from the stack's SSM
 * endpoint as they are read from an AWS account's.
 */

let stack: TestStack;
let ssm: SSMClient;
let dynamodb: DynamoDBClient;

beforeAll(async () => {
  stack = await sharedTestStack();
  ssm = new SSMClient({ endpoint: stack.awsEndpoint, region: stack.region, credentials: stack.credentials });
  dynamodb = new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    region: stack.region,
    credentials: stack.credentials,
  });
}, 120_000);

afterAll(async () => {
  ssm?.destroy();
  dynamodb?.destroy();
  await releaseTestStack(stack);
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

async function tableName(service: string): Promise<string> {
  const name = `/meridian/local/${service}/table/name`;
  const value = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  if (!value) throw new Error(`no ${name}`);
  return value;
}

async function expiresAt(service: string, key: Record<string, string>): Promise<number | undefined> {
  const Key = Object.fromEntries(Object.entries(key).map(([name, value]) => [name, { S: value }]));
  const { Item } = await dynamodb.send(new GetItemCommand({ TableName: await tableName(service), Key }));
  if (!Item) throw new Error(`${service} has no item ${JSON.stringify(key)}`);
  return Item.expiresAt?.N === undefined ? undefined : Number(Item.expiresAt.N);
}

describe("one run of the journey", () => {
  let report: Awaited<ReturnType<typeof runJourney>>;
  const passed: string[] = [];
  let startedAt: number;

  beforeAll(async () => {
    startedAt = Math.floor(Date.now() / 1000);
    report = await runJourney(await readEndpoints(ssm, "local"), {
      onStep: (result) => passed.push(result.step),
    });
  }, 90_000);

  test("passes every step, in order", () => {
    expect(report.steps.map((result) => result.step)).toEqual(JOURNEY_STEPS.map(([step]) => step));
    expect(passed).toEqual(report.steps.map((result) => result.step));
  });

  test("registers recognisable test accounts: e2e- and a random part", () => {
    expect(report.accounts).toEqual([
      { username: expect.stringMatching(/^e2e-[0-9a-f]{8}-owner$/), userId: expect.any(String) },
      { username: expect.stringMatching(/^e2e-[0-9a-f]{8}-other$/), userId: expect.any(String) },
    ]);
  });

  test("leaves only what expires: the accounts, profile and location carry a TTL a day out; the comment is gone", async () => {
    const [owner, other] = report.accounts;
    if (!owner || !other) throw new Error("the journey registered no accounts");
    const expiry = {
      owner: await expiresAt("auth", { pk: `USER#${owner.username}` }),
      other: await expiresAt("auth", { pk: `USER#${other.username}` }),
      profile: await expiresAt("profile", { userId: owner.userId }),
      location: await expiresAt("location", { userId: owner.userId }),
    };
    // A day after the run's start, give or take how long the run took.
    const daysOut = Object.fromEntries(
      Object.entries(expiry).map(([record, at]) => [
        record,
        at === undefined ? "no TTL" : Math.round((at - startedAt) / TEST_ACCOUNT_LIFETIME_SECONDS),
      ]),
    );
    expect(daysOut).toEqual({ owner: 1, other: 1, profile: 1, location: 1 });
    // The stack is shared with other files: only the owner's profile is the journey's to have emptied.
    const comments = await dynamodb.send(
      new QueryCommand({
        TableName: await tableName("comments"),
        KeyConditionExpression: "profileUserId = :owner",
        ExpressionAttributeValues: { ":owner": { S: owner.userId } },
      }),
    );
    expect(comments.Items ?? []).toEqual([]);
  });
});

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
