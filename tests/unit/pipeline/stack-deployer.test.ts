import { CreateChangeSetCommand } from "@aws-sdk/client-cloudformation";
import {
  type AdvanceResult,
  advance,
  initialState,
  type StackState,
  type StackTarget,
} from "../../../src/pipeline/stack-deployer";
import { FakeCloudFormation, resourceChange } from "../../support/fake-cloudformation";

const STACK = "meridian-dev-auth";
const target: StackTarget = {
  stackName: STACK,
  templateURL: "https://artifacts.s3.us-east-1.amazonaws.com/meridian/dev/auth/template-abc.json",
  parameters: { Environment: "dev", LogLevel: "DEBUG" },
  tags: { Project: "meridian", Environment: "dev", Service: "auth" },
  changeSetName: "meridian-test-1",
};

let cfn: FakeCloudFormation;
beforeEach(() => {
  cfn = new FakeCloudFormation();
});
afterEach(() => cfn.restore());

/** One round, with the API calls it made. */
async function round(
  state: StackState,
  to: StackTarget = target,
): Promise<AdvanceResult & { calls: string[] }> {
  const before = cfn.calls.length;
  const result = await advance(cfn.client, to, state);
  return { ...result, calls: cfn.callsSince(before).map((call) => call.split(" ")[0] ?? "") };
}

describe("creating a stack", () => {
  test("change set CREATE with the configuration, executed when ready, done when CREATE_COMPLETE", async () => {
    const first = await round(initialState());
    expect(first.calls).toEqual(["DescribeStacks", "CreateChangeSet"]);
    expect(first.state).toMatchObject({
      phase: "waiting-for-change-set",
      kind: "CREATE",
      changeSetName: "meridian-test-1",
    });
    const input = cfn.mock.commandCalls(CreateChangeSetCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      StackName: STACK,
      ChangeSetType: "CREATE",
      TemplateURL: target.templateURL,
      Parameters: [
        { ParameterKey: "Environment", ParameterValue: "dev" },
        { ParameterKey: "LogLevel", ParameterValue: "DEBUG" },
      ],
      Tags: [
        { Key: "Project", Value: "meridian" },
        { Key: "Environment", Value: "dev" },
        { Key: "Service", Value: "auth" },
      ],
    });
    expect(input?.Capabilities).toEqual(["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]);

    const pending = await round(first.state);
    expect(pending.calls).toEqual(["DescribeChangeSet"]);
    expect(pending.state).toEqual(first.state);

    cfn.changeSetReady();
    const executing = await round(pending.state);
    expect(executing.calls).toEqual(["DescribeChangeSet", "DescribeStackEvents", "ExecuteChangeSet"]);
    expect(executing.state.phase).toBe("waiting-for-stack");
    expect(executing.message).toBe("executing change set: 1 change(s): Add UsersTable");

    cfn.emit(STACK, "UsersTable", "CREATE_IN_PROGRESS");
    const progress = await round(executing.state);
    expect(progress.calls).toEqual(["DescribeStacks", "DescribeStackEvents"]);
    expect(progress.state.phase).toBe("waiting-for-stack");
    // Only what happened since the change set was executed, oldest first.
    expect(progress.events.map((event) => `${event.logicalId} ${event.status}`)).toEqual([
      `${STACK} CREATE_IN_PROGRESS`,
      "UsersTable CREATE_IN_PROGRESS",
    ]);

    cfn.emit(STACK, "UsersTable", "CREATE_COMPLETE");
    cfn.setStatus(STACK, "CREATE_COMPLETE");
    const done = await round(progress.state);
    expect(done.state).toEqual({ phase: "done", outcome: "created" });
    expect(done.events.map((event) => `${event.logicalId} ${event.status}`)).toEqual([
      "UsersTable CREATE_COMPLETE",
      `${STACK} CREATE_COMPLETE`,
    ]);
  });

  test("a stack left in REVIEW_IN_PROGRESS by an unexecuted change set is created, not updated", async () => {
    cfn.addStack(STACK, "REVIEW_IN_PROGRESS");
    const first = await round(initialState());
    expect(first.state).toMatchObject({ phase: "waiting-for-change-set", kind: "CREATE" });
  });
});

describe("updating a stack", () => {
  test("change set UPDATE; done as updated", async () => {
    cfn.addStack(STACK, "UPDATE_COMPLETE");
    let result = await round(initialState());
    expect(result.state).toMatchObject({ phase: "waiting-for-change-set", kind: "UPDATE" });
    expect(cfn.mock.commandCalls(CreateChangeSetCommand)[0]?.args[0].input.ChangeSetType).toBe("UPDATE");
    cfn.changeSetReady();
    result = await round(result.state);
    expect(cfn.stack(STACK).status).toBe("UPDATE_IN_PROGRESS");
    cfn.emit(STACK, "LoginFunction", "UPDATE_COMPLETE", undefined, "AWS::Lambda::Function");
    cfn.setStatus(STACK, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS");
    result = await round(result.state);
    expect(result.state.phase).toBe("waiting-for-stack");
    cfn.setStatus(STACK, "UPDATE_COMPLETE");
    result = await round(result.state);
    expect(result.state).toEqual({ phase: "done", outcome: "updated" });
  });

  test("a stack whose last update rolled back can be updated again", async () => {
    cfn.addStack(STACK, "UPDATE_ROLLBACK_COMPLETE");
    const result = await round(initialState());
    expect(result.state).toMatchObject({ phase: "waiting-for-change-set", kind: "UPDATE" });
  });

  test("waits, without calling anything else, while another operation is in progress", async () => {
    cfn.addStack(STACK, "UPDATE_IN_PROGRESS");
    const result = await round(initialState());
    expect(result.calls).toEqual(["DescribeStacks"]);
    expect(result.state).toEqual(initialState());
    expect(result.message).toBe("waiting for UPDATE_IN_PROGRESS to finish");
  });
});

describe("no changes", () => {
  test.each([
    "The submitted information didn't contain changes. Submit different information to create a change set.",
    "No updates are to be performed.",
  ])("'%s' is success, and the empty change set is deleted", async (reason) => {
    cfn.addStack(STACK, "UPDATE_COMPLETE");
    const first = await round(initialState());
    cfn.changeSetFailed(reason);
    const result = await round(first.state);
    expect(result.calls).toEqual(["DescribeChangeSet", "DeleteChangeSet"]);
    expect(result.state).toEqual({ phase: "done", outcome: "unchanged" });
    expect(cfn.changeSets).toHaveLength(0);
  });
});

describe("failures", () => {
  test("the failing resource's logical id and reason come from the stack events", async () => {
    cfn.addStack(STACK, "UPDATE_COMPLETE");
    let result = await round(initialState());
    cfn.changeSetReady();
    result = await round(result.state);
    cfn.emit(STACK, "UsersTable", "UPDATE_IN_PROGRESS");
    cfn.emit(
      STACK,
      "UsersTable",
      "UPDATE_FAILED",
      'Resource handler returned message: "Table already exists: users"',
    );
    cfn.emit(STACK, "LoginFunction", "UPDATE_FAILED", "Resource update cancelled", "AWS::Lambda::Function");
    cfn.setStatus(
      STACK,
      "UPDATE_ROLLBACK_IN_PROGRESS",
      "The following resource(s) failed to update: [UsersTable].",
    );
    result = await round(result.state);
    // Seen while the rollback is still going: kept in the state for later rounds.
    expect(result.state).toMatchObject({ phase: "waiting-for-stack", failure: { logicalId: "UsersTable" } });

    cfn.emit(STACK, "UsersTable", "UPDATE_COMPLETE");
    cfn.setStatus(STACK, "UPDATE_ROLLBACK_COMPLETE");
    result = await round(result.state);
    expect(result.state).toEqual({
      phase: "failed",
      logicalId: "UsersTable",
      resourceType: "AWS::DynamoDB::Table",
      status: "UPDATE_FAILED",
      reason: 'Resource handler returned message: "Table already exists: users"',
    });
  });

  test("a failure and the rollback in one round still name the first failure, across event pages", async () => {
    cfn.pageSize = 2;
    cfn.addStack(STACK, "UPDATE_COMPLETE");
    let result = await round(initialState());
    cfn.changeSetReady();
    result = await round(result.state);
    cfn.emit(STACK, "Queue", "UPDATE_COMPLETE", undefined, "AWS::SQS::Queue");
    cfn.emit(STACK, "LoginFunction", "UPDATE_FAILED", "Resource update cancelled", "AWS::Lambda::Function");
    cfn.emit(STACK, "LoginRole", "UPDATE_FAILED", "AccessDenied: iam:PutRolePolicy", "AWS::IAM::Role");
    cfn.emit(STACK, "LoginRole", "UPDATE_COMPLETE", undefined, "AWS::IAM::Role");
    cfn.setStatus(STACK, "UPDATE_ROLLBACK_COMPLETE");
    result = await round(result.state);
    expect(result.state).toMatchObject({
      phase: "failed",
      logicalId: "LoginRole",
      status: "UPDATE_FAILED",
      reason: "AccessDenied: iam:PutRolePolicy",
    });
    // Three pages of two, reassembled oldest first.
    expect(result.events.map((event) => `${event.logicalId} ${event.status}`)).toEqual([
      `${STACK} UPDATE_IN_PROGRESS`,
      "Queue UPDATE_COMPLETE",
      "LoginFunction UPDATE_FAILED",
      "LoginRole UPDATE_FAILED",
      "LoginRole UPDATE_COMPLETE",
      `${STACK} UPDATE_ROLLBACK_COMPLETE`,
    ]);
  });

  test("a change set that fails for a real reason fails the deploy with that reason", async () => {
    cfn.addStack(STACK, "UPDATE_COMPLETE");
    const first = await round(initialState());
    cfn.changeSetFailed("Template error: instance of Fn::GetAtt references undefined resource Missing");
    const result = await round(first.state);
    expect(result.state).toEqual({
      phase: "failed",
      reason:
        "change set meridian-test-1 failed: Template error: instance of Fn::GetAtt references undefined resource Missing",
    });
    expect(cfn.changeSets).toHaveLength(1);
  });

  test("a stack stuck in UPDATE_ROLLBACK_FAILED is reported, not touched", async () => {
    cfn.addStack(STACK, "UPDATE_ROLLBACK_FAILED");
    const result = await round(initialState());
    expect(result.calls).toEqual(["DescribeStacks"]);
    expect(result.state).toMatchObject({ phase: "failed", status: "UPDATE_ROLLBACK_FAILED" });
  });

  test("an API error ends the operation with the error, throttling is retried", async () => {
    cfn.addStack(STACK, "UPDATE_COMPLETE");
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    cfn.mock
      .on(CreateChangeSetCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(Object.assign(new Error("denied"), { name: "AccessDenied" }));
    let result = await round(initialState());
    expect(result.state).toEqual(initialState());
    expect(result.message).toMatch(/^throttled/);
    result = await round(initialState());
    expect(result.state).toEqual({ phase: "failed", reason: `${STACK}: AccessDenied: denied` });
  });

  test("a template is required to deploy", async () => {
    const result = await round(initialState(), { stackName: STACK });
    expect(result.state).toEqual({ phase: "failed", reason: `no template given for ${STACK}` });
  });
});

describe("a stack in ROLLBACK_COMPLETE (its first create failed)", () => {
  test("is deleted, then created again", async () => {
    const old = cfn.addStack(STACK, "ROLLBACK_COMPLETE");
    let result = await round(initialState());
    expect(result.calls).toEqual(["DescribeStacks", "DescribeStackEvents", "DeleteStack"]);
    expect(result.state).toMatchObject({ phase: "deleting-rolled-back-stack", stackId: old.id });
    expect(result.message).toMatch(/ROLLBACK_COMPLETE/);

    result = await round(result.state);
    expect(result.state.phase).toBe("deleting-rolled-back-stack");
    expect(result.events.map((event) => event.status)).toEqual(["DELETE_IN_PROGRESS"]);

    cfn.setStatus(STACK, "DELETE_COMPLETE");
    result = await round(result.state);
    expect(result.calls).toEqual(["DescribeStacks", "DescribeStackEvents", "CreateChangeSet"]);
    expect(result.state).toMatchObject({ phase: "waiting-for-change-set", kind: "CREATE" });
    const fresh = cfn.stack(STACK);
    expect(fresh.id).not.toBe(old.id);
    expect(fresh.status).toBe("REVIEW_IN_PROGRESS");
  });

  test("a failed delete is reported with the resource that would not go", async () => {
    cfn.addStack(STACK, "ROLLBACK_COMPLETE");
    let result = await round(initialState());
    cfn.emit(
      STACK,
      "Bucket",
      "DELETE_FAILED",
      "The bucket you tried to delete is not empty",
      "AWS::S3::Bucket",
    );
    cfn.setStatus(STACK, "DELETE_FAILED");
    result = await round(result.state);
    expect(result.state).toMatchObject({
      phase: "failed",
      logicalId: "Bucket",
      reason: "The bucket you tried to delete is not empty",
    });
  });
});

describe("deleting a stack", () => {
  test("deletes, follows events, done when gone", async () => {
    cfn.addStack(STACK, "UPDATE_COMPLETE");
    let result = await round(initialState("delete"));
    expect(result.calls).toEqual(["DescribeStacks", "DescribeStackEvents", "DeleteStack"]);
    expect(result.state.phase).toBe("waiting-for-delete");
    cfn.emit(STACK, "LoginFunction", "DELETE_COMPLETE", undefined, "AWS::Lambda::Function");
    cfn.emit(STACK, "UsersTable", "DELETE_SKIPPED");
    cfn.setStatus(STACK, "DELETE_COMPLETE");
    result = await round(result.state);
    expect(result.state).toEqual({ phase: "done", outcome: "deleted" });
    expect(result.events.map((event) => `${event.logicalId} ${event.status}`)).toContain(
      "UsersTable DELETE_SKIPPED",
    );
  });

  test("a stack left in REVIEW_IN_PROGRESS (never executed) is deleted, not waited on", async () => {
    cfn.addStack(STACK, "REVIEW_IN_PROGRESS");
    const result = await round(initialState("delete"));
    expect(result.calls).toEqual(["DescribeStacks", "DescribeStackEvents", "DeleteStack"]);
    expect(result.state.phase).toBe("waiting-for-delete");
  });

  test("a stack that does not exist is already torn down", async () => {
    const result = await round(initialState("delete"));
    expect(result.calls).toEqual(["DescribeStacks"]);
    expect(result.state).toEqual({ phase: "done", outcome: "absent" });
  });
});

describe("previewing (previewOnly)", () => {
  const preview: StackTarget = { ...target, previewOnly: true };

  test("an update lists every change, replacements included, then deletes the change set", async () => {
    cfn.addStack(STACK, "UPDATE_COMPLETE");
    cfn.changePageSize = 2;
    cfn.changes.set(STACK, [
      resourceChange("Modify", "LoginFunction", "AWS::Lambda::Function", "False"),
      resourceChange("Modify", "UsersTable", "AWS::DynamoDB::Table", "True"),
      resourceChange("Add", "NewAlarm", "AWS::CloudWatch::Alarm"),
    ]);
    const first = await round(initialState(), preview);
    cfn.changeSetReady();
    const done = await round(first.state, preview);
    expect(done.calls).toEqual(["DescribeChangeSet", "DescribeChangeSet", "DeleteChangeSet"]);
    expect(done.state).toEqual({ phase: "done", outcome: "previewed" });
    expect(done.changes).toEqual([
      {
        action: "Modify",
        logicalId: "LoginFunction",
        resourceType: "AWS::Lambda::Function",
        replacement: "False",
      },
      {
        action: "Modify",
        logicalId: "UsersTable",
        resourceType: "AWS::DynamoDB::Table",
        replacement: "True",
      },
      { action: "Add", logicalId: "NewAlarm", resourceType: "AWS::CloudWatch::Alarm" },
    ]);
    expect(done.message).toMatch(/^would update the stack: 3 change\(s\).*nothing changed$/);
    expect(cfn.changeSets).toHaveLength(0);
    expect(cfn.stack(STACK).status).toBe("UPDATE_COMPLETE");
    expect(cfn.calls.some((call) => call.startsWith("ExecuteChangeSet"))).toBe(false);
  });

  test("a new stack's preview removes the empty stack its CREATE change set made", async () => {
    const first = await round(initialState(), preview);
    expect(cfn.stack(STACK).status).toBe("REVIEW_IN_PROGRESS");
    cfn.changeSetReady();
    const done = await round(first.state, preview);
    expect(done.calls).toEqual(["DescribeChangeSet", "DeleteStack"]);
    expect(done.state).toEqual({ phase: "done", outcome: "previewed" });
    expect(done.changes?.map((change) => `${change.action} ${change.logicalId}`)).toEqual(["Add UsersTable"]);
  });

  test("no changes is reported as unchanged, as for a deploy", async () => {
    cfn.addStack(STACK, "UPDATE_COMPLETE");
    const first = await round(initialState(), preview);
    cfn.changeSetFailed("The submitted information didn't contain changes.");
    const done = await round(first.state, preview);
    expect(done.state).toEqual({ phase: "done", outcome: "unchanged" });
  });
});

describe("the step function never waits", () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ["setImmediate", "nextTick", "queueMicrotask"] }));
  afterEach(() => jest.useRealTimers());

  /** Resolves to "blocked" if `advance` needed a timer to finish: with fake timers none ever fires. */
  async function settlesWithoutTimers(promise: Promise<AdvanceResult>): Promise<AdvanceResult | "blocked"> {
    const blocked = new Promise<"blocked">((resolve) => setImmediate(() => resolve("blocked")));
    return Promise.race([promise, blocked]);
  }

  test("every phase returns after one round, with no timer pending", async () => {
    cfn.addStack(STACK, "UPDATE_COMPLETE");
    let state: StackState = initialState();
    const phases: string[] = [];
    // A stack that stays in progress for many rounds: each round still returns at once.
    for (let i = 0; i < 8; i++) {
      if (i === 2) cfn.changeSetReady();
      if (i === 6) cfn.setStatus(STACK, "UPDATE_COMPLETE");
      const before = cfn.calls.length;
      const result = await settlesWithoutTimers(advance(cfn.client, target, state));
      if (result === "blocked") throw new Error(`round ${i} (${state.phase}) did not return`);
      expect(jest.getTimerCount()).toBe(0);
      expect(cfn.calls.length - before).toBeLessThanOrEqual(3);
      phases.push(result.state.phase);
      state = result.state;
    }
    expect(phases).toEqual([
      "waiting-for-change-set",
      "waiting-for-change-set",
      "waiting-for-stack",
      "waiting-for-stack",
      "waiting-for-stack",
      "waiting-for-stack",
      "done",
      "done",
    ]);
  });

  test("a state survives a JSON round trip (a continuation token) and stays small", async () => {
    cfn.addStack(STACK, "UPDATE_COMPLETE");
    let state: StackState = initialState();
    for (let i = 0; i < 4; i++) {
      if (i === 1) cfn.changeSetReady();
      const result = await advance(cfn.client, target, JSON.parse(JSON.stringify(state)) as StackState);
      state = result.state;
      expect(JSON.stringify(state).length).toBeLessThan(2048);
    }
    expect(state.phase).toBe("waiting-for-stack");
  });
});
