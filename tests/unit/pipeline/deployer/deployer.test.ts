import {
  CodePipelineClient,
  PutJobFailureResultCommand,
  type PutJobFailureResultCommandInput,
  PutJobSuccessResultCommand,
  type PutJobSuccessResultCommandInput,
} from "@aws-sdk/client-codepipeline";
import type { CodePipelineEvent } from "aws-lambda";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import {
  type Continuation,
  decodeContinuation,
  encodeContinuation,
  MAX_TOKEN_LENGTH,
} from "../../../../src/pipeline/deployer/continuation";
import {
  type DeployerDependencies,
  MAX_TRANSIENT_RETRIES,
  runJob,
} from "../../../../src/pipeline/deployer/job";
import { PACKAGE_BUCKET_PLACEHOLDER } from "../../../../src/pipeline/deployer/manifest";
import { FakeCloudFormation, resourceChange } from "../../../support/fake-cloudformation";
import { captureOutput, testObservability } from "../../../support/handler-test";
import { FakeArtifactReader, FakePackageStore, fakeArtifact, THREE_SERVICES } from "./fakes";

const JOB_ID = "11111111-2222-3333-4444-555555555555";
const EXECUTION_ROLE = "arn:aws:iam::123456789012:role/meridian-pipeline-StackExecutionRole-X";
const CREDENTIALS = { accessKeyId: "AKIAJOB", secretAccessKey: "secret", sessionToken: "session" };

function jobEvent(
  environment: string,
  continuationToken?: string,
  jobId = JOB_ID,
  mode?: "preview",
): CodePipelineEvent {
  return {
    "CodePipeline.job": {
      id: jobId,
      accountId: "123456789012",
      data: {
        actionConfiguration: {
          configuration: {
            FunctionName: "meridian-pipeline-deployer",
            UserParameters: JSON.stringify({ environment, ...(mode ? { mode } : {}) }),
          },
        },
        inputArtifacts: [
          {
            name: "BundleOutput",
            revision: null,
            location: {
              type: "S3",
              s3Location: { bucketName: "pipeline-bucket", objectKey: "meridian/BundleOutp/abc.zip" },
            },
          },
        ],
        outputArtifacts: [],
        artifactCredentials: CREDENTIALS,
        ...(continuationToken ? { continuationToken } : {}),
      },
    },
  };
}

let cfn: FakeCloudFormation;
let codepipeline: AwsClientStub<CodePipelineClient>;
let artifacts: FakeArtifactReader;
let packages: FakePackageStore;
let clock: number;

const output = captureOutput();
const { logger } = testObservability("pipeline-deployer");

function deps(overrides: Partial<DeployerDependencies> = {}): DeployerDependencies {
  return {
    logger,
    codepipeline: new CodePipelineClient({ region: "us-east-1" }),
    cloudformation: cfn.client,
    artifacts,
    packages,
    executionRoleArn: EXECUTION_ROLE,
    now: () => ++clock,
    ...overrides,
  };
}

function successes(): PutJobSuccessResultCommandInput[] {
  return codepipeline.commandCalls(PutJobSuccessResultCommand).map((call) => call.args[0].input);
}

function failures(): PutJobFailureResultCommandInput[] {
  return codepipeline.commandCalls(PutJobFailureResultCommand).map((call) => call.args[0].input);
}

/** Invokes like CodePipeline: again with each continuation token until the job ends. */
async function runToCompletion(environment: string, maxInvocations = 50, jobId = JOB_ID, mode?: "preview") {
  let token: string | undefined;
  for (let invocation = 1; invocation <= maxInvocations; invocation++) {
    const result = await runJob(jobEvent(environment, token, jobId, mode), deps());
    if (result.result !== "continuing") return { result, invocations: invocation };
    token = successes().at(-1)?.continuationToken;
    expect(token).toBeDefined();
  }
  throw new Error(`job did not finish in ${maxInvocations} invocations`);
}

function createdStacks(): string[] {
  return cfn.inputs("CreateChangeSetCommand").map((input) => String(input.StackName));
}

beforeEach(() => {
  // CloudFormation finishes on its own between invocations, as it does for the deployer Lambda.
  cfn = new FakeCloudFormation({ changeSetDelay: 0, stackDelay: 0 });
  codepipeline = mockClient(CodePipelineClient);
  codepipeline.on(PutJobSuccessResultCommand).resolves({});
  codepipeline.on(PutJobFailureResultCommand).resolves({});
  artifacts = new FakeArtifactReader();
  packages = new FakePackageStore();
  clock = 1_700_000_000_000;
});

afterEach(() => {
  cfn.restore();
  codepipeline.restore();
});

describe("a deploy job", () => {
  test("creates missing stacks in dependency order through CREATE change sets", async () => {
    const { result } = await runToCompletion("dev");

    expect(result.result).toBe("succeeded");
    expect(createdStacks()).toEqual(["meridian-dev-auth", "meridian-dev-location", "meridian-dev-profile"]);
    const [first] = cfn.inputs("CreateChangeSetCommand");
    expect(first).toMatchObject({
      ChangeSetType: "CREATE",
      RoleARN: EXECUTION_ROLE,
      Parameters: expect.arrayContaining([{ ParameterKey: "Environment", ParameterValue: "dev" }]),
      Tags: expect.arrayContaining([{ Key: "Service", Value: "auth" }]),
    });
    expect(String(first?.ChangeSetName)).toMatch(/^pipeline-11111111-\d+$/);
    expect(cfn.inputs("ExecuteChangeSetCommand")).toHaveLength(3);
    expect(successes().at(-1)).toMatchObject({
      jobId: JOB_ID,
      executionDetails: {
        percentComplete: 100,
        summary: "dev: auth created; location created; profile created",
      },
    });
    expect(successes().at(-1)?.continuationToken).toBeUndefined();
    expect(failures()).toHaveLength(0);
  });

  test("reads the artifact with the job's artifact credentials", async () => {
    await runJob(jobEvent("dev"), deps());

    expect(artifacts.reads[0]).toEqual({
      location: { bucket: "pipeline-bucket", key: "meridian/BundleOutp/abc.zip" },
      credentials: CREDENTIALS,
    });
  });

  test("uploads each function's zip and points CodeUri at the uploaded object", async () => {
    await runToCompletion("dev");

    expect([...packages.uploads.keys()]).toEqual(
      expect.arrayContaining([
        "packages/auth/RegisterFunction-0123456789abcdef.zip",
        "packages/auth/LoginFunction-0123456789abcdef.zip",
        "packages/profile/GetProfileFunction-0123456789abcdef.zip",
      ]),
    );
    const body = JSON.parse(String(cfn.inputs("CreateChangeSetCommand")[0]?.TemplateBody));
    expect(body.Resources.RegisterFunction.Properties.CodeUri).toEqual({
      Bucket: packages.bucket,
      Key: "packages/auth/RegisterFunction-0123456789abcdef.zip",
    });
    expect(JSON.stringify(body)).not.toContain(PACKAGE_BUCKET_PLACEHOLDER);
  });

  test("updates existing stacks through UPDATE change sets", async () => {
    for (const service of ["auth", "location", "profile"])
      cfn.addStack(`meridian-staging-${service}`, "UPDATE_COMPLETE");

    const { result } = await runToCompletion("staging");

    expect(result).toMatchObject({
      result: "succeeded",
      summary: "staging: auth updated; location updated; profile updated",
    });
    expect(cfn.inputs("CreateChangeSetCommand").map((input) => input.ChangeSetType)).toEqual([
      "UPDATE",
      "UPDATE",
      "UPDATE",
    ]);
  });

  test("treats a change set with no changes as success, deletes it and executes nothing", async () => {
    for (const service of ["auth", "location", "profile"]) {
      cfn.addStack(`meridian-dev-${service}`, "UPDATE_COMPLETE");
      cfn.unchanged.add(`meridian-dev-${service}`);
    }

    const { result, invocations } = await runToCompletion("dev");

    expect(result).toMatchObject({
      result: "succeeded",
      summary: "dev: auth unchanged; location unchanged; profile unchanged",
    });
    expect(invocations).toBe(1);
    expect(cfn.inputs("ExecuteChangeSetCommand")).toHaveLength(0);
    expect(cfn.inputs("DeleteChangeSetCommand")).toHaveLength(3);
  });
});

describe("a deploy job while stacks are busy", () => {
  test("returns a continuation token while a stack is in progress instead of waiting", async () => {
    cfn.stackDelay = 3;

    const first = await runJob(jobEvent("dev"), deps());

    expect(first.result).toBe("continuing");
    const [success] = successes();
    expect(success?.continuationToken).toBeDefined();
    expect(success?.executionDetails).toMatchObject({ percentComplete: 0 });
    const continuation = decodeContinuation(String(success?.continuationToken));
    expect(continuation.deployment?.stack).toMatchObject({ phase: "waiting-for-stack", kind: "CREATE" });
    expect(continuation.deployment?.current).toBe(0);

    // The next invocations only look at the stack; nothing is submitted again.
    const again = await runJob(jobEvent("dev", success?.continuationToken), deps());
    expect(again.result).toBe("continuing");
    expect(cfn.inputs("CreateChangeSetCommand")).toHaveLength(1);
    expect(cfn.inputs("ExecuteChangeSetCommand")).toHaveLength(1);

    const { result } = await runToCompletion("dev");
    expect(result.result).toBe("succeeded");
  });

  test("waits on a stack another operation is updating, then deploys it", async () => {
    cfn.addStack("meridian-dev-auth", "UPDATE_IN_PROGRESS", 2);

    const first = await runJob(jobEvent("dev"), deps());

    expect(first.result).toBe("continuing");
    expect(cfn.inputs("CreateChangeSetCommand")).toHaveLength(0);
    const { result } = await runToCompletion("dev");
    expect(result.result).toBe("succeeded");
    expect(cfn.inputs("CreateChangeSetCommand")[0]).toMatchObject({
      StackName: "meridian-dev-auth",
      ChangeSetType: "UPDATE",
    });
  });
});

describe("a deploy job that fails", () => {
  test("fails the job with the failing resource's logical id and reason, and deploys nothing after it", async () => {
    cfn.addStack("meridian-dev-auth", "UPDATE_COMPLETE");
    cfn.addStack("meridian-dev-location", "UPDATE_COMPLETE");
    cfn.failures.set("meridian-dev-location", {
      logicalId: "LocationsTable",
      resourceType: "AWS::DynamoDB::Table",
      reason: 'Resource handler returned message: "Table already exists: meridian-dev-locations"',
    });

    const { result } = await runToCompletion("dev");

    expect(result.result).toBe("failed");
    const [failure] = failures();
    expect(failure?.jobId).toBe(JOB_ID);
    expect(failure?.failureDetails?.type).toBe("JobFailed");
    expect(failure?.failureDetails?.message).toBe(
      'meridian-dev-location: LocationsTable (AWS::DynamoDB::Table) UPDATE_FAILED: Resource handler returned message: "Table already exists: meridian-dev-locations" [before it: auth updated]',
    );
    expect(createdStacks()).not.toContain("meridian-dev-profile");
  });

  test("a failed first create is deleted (ROLLBACK_COMPLETE) and created again", async () => {
    cfn.addStack("meridian-dev-auth", "ROLLBACK_COMPLETE");

    const { result } = await runToCompletion("dev");

    expect(result.result).toBe("succeeded");
    expect(cfn.inputs("DeleteStackCommand")).toEqual([
      expect.objectContaining({ StackName: expect.stringContaining("meridian-dev-auth") }),
    ]);
    expect(cfn.inputs("CreateChangeSetCommand")[0]).toMatchObject({
      StackName: "meridian-dev-auth",
      ChangeSetType: "CREATE",
    });
  });

  test("a failed create ends the job; the next run replaces the rolled-back stack", async () => {
    cfn.failures.set("meridian-dev-auth", {
      logicalId: "UsersTable",
      resourceType: "AWS::DynamoDB::Table",
      reason: "Access denied for operation dynamodb:CreateTable",
    });

    const failed = await runToCompletion("dev");
    expect(failed.result.result).toBe("failed");
    expect(failures()[0]?.failureDetails?.message).toContain(
      "UsersTable (AWS::DynamoDB::Table) CREATE_FAILED: Access denied",
    );
    expect(cfn.stack("meridian-dev-auth").status).toBe("ROLLBACK_COMPLETE");

    const retried = await runToCompletion("dev", 50, "99999999-2222-3333-4444-555555555555");
    expect(retried.result.result).toBe("succeeded");
  });

  test("a stack stuck in UPDATE_ROLLBACK_FAILED fails the job with what to do", async () => {
    cfn.addStack("meridian-prod-auth", "UPDATE_ROLLBACK_FAILED");

    const { result } = await runToCompletion("prod");

    expect(result.result).toBe("failed");
    expect(failures()[0]?.failureDetails?.message).toMatch(
      /^meridian-prod-auth: stack is in UPDATE_ROLLBACK_FAILED .*continue rollback or delete/,
    );
  });
});

describe("a deploy job's order and environments", () => {
  test("follows the manifest's order, not the alphabet", async () => {
    const services = [
      { name: "zeta", functions: ["Fn"] },
      { name: "alpha", dependencies: ["zeta"], functions: ["Fn"] },
    ];
    artifacts.files = fakeArtifact(services, ["dev"]);

    await runToCompletion("dev");

    expect(createdStacks()).toEqual(["meridian-dev-zeta", "meridian-dev-alpha"]);
  });

  test("rejects a manifest that lists a service before its dependencies", async () => {
    artifacts.files = fakeArtifact(THREE_SERVICES, ["dev"], ["location", "auth", "profile"]);

    const result = await runJob(jobEvent("dev"), deps());

    expect(result.result).toBe("failed");
    expect(failures()[0]?.failureDetails).toMatchObject({
      type: "ConfigurationError",
      message: expect.stringContaining("'location' is listed before its dependencies auth"),
    });
    expect(cfn.inputs("CreateChangeSetCommand")).toHaveLength(0);
  });

  test("deploys only the environment named in UserParameters", async () => {
    await runToCompletion("prod");

    expect(createdStacks().every((name) => name.startsWith("meridian-prod-"))).toBe(true);
    const body = cfn.inputs("CreateChangeSetCommand")[0];
    expect(body?.Parameters).toEqual(
      expect.arrayContaining([{ ParameterKey: "Environment", ParameterValue: "prod" }]),
    );
  });

  test.each([
    ["not JSON", "dev"],
    ["no environment", "{}"],
  ])("bad UserParameters (%s) is a configuration error", async (_case, userParameters) => {
    const event = jobEvent("dev");
    event["CodePipeline.job"].data.actionConfiguration.configuration.UserParameters = userParameters;

    await runJob(event, deps());

    expect(failures()[0]?.failureDetails?.type).toBe("ConfigurationError");
  });

  test("an environment the artifact has no stacks for is a configuration error", async () => {
    await runJob(jobEvent("qa"), deps());

    expect(failures()[0]?.failureDetails).toMatchObject({
      type: "ConfigurationError",
      message: expect.stringContaining("no stacks for environment 'qa'"),
    });
  });
});

describe("a preview job (the approval's input)", () => {
  test("lists each stack's changes and replacements, executes nothing and leaves no change set", async () => {
    cfn.addStack("meridian-prod-auth", "UPDATE_COMPLETE");
    cfn.addStack("meridian-prod-location", "UPDATE_COMPLETE");
    cfn.unchanged.add("meridian-prod-location");
    cfn.changes.set("meridian-prod-auth", [
      resourceChange("Modify", "UsersTable", "AWS::DynamoDB::Table", "True"),
      resourceChange("Modify", "LoginFunction", "AWS::Lambda::Function", "False"),
    ]);
    // Change sets take a while: the preview spans invocations through continuation tokens.
    cfn.changeSetDelay = 2;

    const { result, invocations } = await runToCompletion("prod", 50, JOB_ID, "preview");

    expect(result).toMatchObject({
      result: "succeeded",
      summary:
        "prod preview (nothing changed): auth: 2 change(s), replaces UsersTable; location unchanged; profile: 1 change(s)",
    });
    expect(invocations).toBeGreaterThan(1);
    expect(cfn.inputs("ExecuteChangeSetCommand")).toHaveLength(0);
    expect(cfn.changeSets).toHaveLength(0);
    // The stack a CREATE preview made for profile is removed again.
    expect(cfn.inputs("DeleteStackCommand").map((input) => input.StackName)).toHaveLength(1);
    expect(cfn.stack("meridian-prod-auth").status).toBe("UPDATE_COMPLETE");
  });

  test("an unknown mode is a configuration error", async () => {
    const event = jobEvent("prod");
    event["CodePipeline.job"].data.actionConfiguration.configuration.UserParameters =
      '{"environment":"prod","mode":"yolo"}';
    const result = await runJob(event, deps());
    expect(result).toMatchObject({ result: "failed", type: "ConfigurationError" });
  });
});

describe("a repeated job", () => {
  test("delivered again while its stack is updating: waits on it, submits nothing", async () => {
    cfn.stackDelay = 2;
    const first = await runJob(jobEvent("dev"), deps());
    expect(first.result).toBe("continuing");
    expect(cfn.inputs("ExecuteChangeSetCommand")).toHaveLength(1);

    // CodePipeline timed the invocation out and delivers the job again, without a token.
    const redelivered = await runJob(jobEvent("dev"), deps());

    expect(redelivered.result).toBe("continuing");
    expect(cfn.inputs("CreateChangeSetCommand")).toHaveLength(1);
    expect(cfn.inputs("ExecuteChangeSetCommand")).toHaveLength(1);
  });

  test("delivered again after it finished: every stack is a no-op and the result report is not an error", async () => {
    await runToCompletion("dev");
    for (const service of ["auth", "location", "profile"]) cfn.unchanged.add(`meridian-dev-${service}`);
    codepipeline
      .on(PutJobSuccessResultCommand)
      .rejects(Object.assign(new Error("Job is already finished"), { name: "InvalidJobStateException" }));

    const again = await runJob(jobEvent("dev"), deps());

    expect(again).toMatchObject({
      result: "succeeded",
      summary: "dev: auth unchanged; location unchanged; profile unchanged",
    });
    expect(cfn.inputs("ExecuteChangeSetCommand")).toHaveLength(3);
  });

  test("a change set left behind by an earlier delivery does not block the next one", async () => {
    cfn.changeSetDelay = 5;
    await runJob(jobEvent("dev"), deps());
    cfn.changeSetDelay = 0;

    const { result } = await runToCompletion("dev");

    expect(result.result).toBe("succeeded");
  });
});

describe("transient errors", () => {
  const throttled = () =>
    Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $retryable: {} });

  test("are retried in the next invocation", async () => {
    artifacts.failures.push(throttled());

    const first = await runJob(jobEvent("dev"), deps());

    expect(first.result).toBe("continuing");
    const token = successes()[0]?.continuationToken;
    expect(decodeContinuation(String(token)).retries).toBe(1);
    expect(output.logs()).toContainEqual(
      expect.objectContaining({
        level: "WARN",
        message: "transient error; retrying in the next invocation",
        jobId: JOB_ID,
        error: "ThrottlingException: Rate exceeded",
      }),
    );
    const { result } = await runToCompletion("dev");
    expect(result.result).toBe("succeeded");
  });

  test("fail the job after too many in a row", async () => {
    for (let i = 0; i <= MAX_TRANSIENT_RETRIES; i++) artifacts.failures.push(throttled());

    const { result, invocations } = await runToCompletion("dev");

    expect(invocations).toBe(MAX_TRANSIENT_RETRIES + 1);
    expect(result).toMatchObject({ result: "failed", message: "ThrottlingException: Rate exceeded" });
    expect(output.logs().filter((entry) => entry.level === "ERROR")).toEqual([
      expect.objectContaining({
        message: "deploy job failed",
        jobId: JOB_ID,
        error: "ThrottlingException: Rate exceeded",
      }),
    ]);
  });
});

describe("continuation tokens", () => {
  test("fit CodePipeline's limit with many services and a long failure reason in flight", () => {
    const services = Array.from({ length: 12 }, (_, i) => ({
      name: `service-number-${i}`,
      functions: ["Fn"],
    }));
    const continuation: Continuation = {
      v: 1,
      environment: "staging",
      retries: 0,
      deployment: {
        action: "deploy",
        services: services.map((service) => service.name),
        current: 11,
        outcomes: services.slice(0, 11).map((service) => ({ service: service.name, outcome: "updated" })),
        stack: {
          phase: "waiting-for-stack",
          kind: "UPDATE",
          stackId: `arn:aws:cloudformation:us-east-1:123456789012:stack/meridian-staging-service-number-11/${"f".repeat(36)}`,
          lastEventId: `LocationsTable-UPDATE_FAILED-2024-01-01T00:00:00.000Z-${"e".repeat(20)}`,
          failure: {
            reason: "r".repeat(600),
            logicalId: "LocationsTable",
            resourceType: "AWS::DynamoDB::Table",
          },
        },
      },
    };
    const token = encodeContinuation(continuation);

    expect(token.length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH);
    expect(decodeContinuation(token).deployment?.stack).toEqual(continuation.deployment?.stack);
  });

  test("a token for another environment is refused", async () => {
    const token = JSON.stringify({ v: 1, environment: "dev", retries: 0 });

    await runJob(jobEvent("prod", token), deps());

    expect(failures()[0]?.failureDetails).toMatchObject({ type: "ConfigurationError" });
  });
});
