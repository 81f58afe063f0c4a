import { CodeDeployClient, GetDeploymentCommand } from "@aws-sdk/client-codedeploy";
import { mockClient } from "aws-sdk-client-mock";
import { activatedAlarms, codeDeployExplainer } from "../../../src/pipeline/codedeploy-rollback";
import { advanceDeployment, describeOutcome, startDeployment } from "../../../src/pipeline/deployment";
import {
  type AdvanceResult,
  advance,
  initialState,
  type StackState,
  type StackTarget,
} from "../../../src/pipeline/stack-deployer";
import { FakeCloudFormation, resourceChange } from "../../support/fake-cloudformation";

/**
 * An environment is one root stack with a nested stack per service: the
 * change set includes the nested ones, a preview lists each service's
 * changes, and a failure is named by the resource inside the nested stack
 * (or, for a rolled-back gradual deployment, by the alarm that fired).
 */
const ROOT = "meridian-dev";
const AUTH_CHANGE_SET = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/nested-auth/1";
const target: StackTarget = {
  stackName: ROOT,
  templateURL: "https://artifacts.s3.us-east-1.amazonaws.com/meridian/dev/root/template-abc.json",
  parameters: { Environment: "dev" },
  changeSetName: "meridian-test-1",
};

let cfn: FakeCloudFormation;
beforeEach(() => {
  cfn = new FakeCloudFormation();
});
afterEach(() => cfn.restore());

async function round(state: StackState, to: StackTarget = target): Promise<AdvanceResult> {
  return advance(cfn.client, to, state);
}

function nestedStackChange(logicalId: string, changeSetId: string) {
  const change = resourceChange("Modify", logicalId, "AWS::CloudFormation::Stack", "False");
  return { ...change, ResourceChange: { ...change.ResourceChange, ChangeSetId: changeSetId } };
}

test("the change set includes the nested stacks", async () => {
  cfn.addStack(ROOT, "UPDATE_COMPLETE");
  await round(initialState());
  expect(cfn.inputs("CreateChangeSetCommand")[0]).toMatchObject({ IncludeNestedStacks: true });
});

test("a preview lists each service's changes under its nested stack, and counts them per service", async () => {
  cfn.addStack(ROOT, "UPDATE_COMPLETE");
  cfn.changes.set(ROOT, [nestedStackChange("AuthService", AUTH_CHANGE_SET)]);
  cfn.nestedChangeSets.set(AUTH_CHANGE_SET, [
    resourceChange("Modify", "LoginFunction", "AWS::Lambda::Function", "False"),
    resourceChange("Modify", "UsersTable", "AWS::DynamoDB::Table", "True"),
  ]);
  const preview = { ...target, previewOnly: true };
  let deployment = startDeployment(["root"]);
  let last = await advanceDeployment(cfn.client, () => preview, deployment);
  cfn.changeSetReady();
  last = await advanceDeployment(cfn.client, () => preview, last.deployment);
  deployment = last.deployment;

  expect(last.changes).toEqual([
    {
      action: "Modify",
      logicalId: "AuthService",
      resourceType: "AWS::CloudFormation::Stack",
      replacement: "False",
    },
    {
      stack: "AuthService",
      action: "Modify",
      logicalId: "LoginFunction",
      resourceType: "AWS::Lambda::Function",
      replacement: "False",
    },
    {
      stack: "AuthService",
      action: "Modify",
      logicalId: "UsersTable",
      resourceType: "AWS::DynamoDB::Table",
      replacement: "True",
    },
  ]);
  expect(last.message).toContain("Modify AuthService/UsersTable");
  expect(deployment.outcomes.map(describeOutcome)).toEqual([
    "root: 3 change(s) (AuthService 2), replaces AuthService/UsersTable",
  ]);
  expect(cfn.calls.some((call) => call.startsWith("ExecuteChangeSet"))).toBe(false);
});

/** Executes an update of the root, then makes AuthService fail on `resource` inside it. */
async function failInsideAuth(resourceType: string, logicalId: string, reason: string): Promise<StackState> {
  cfn.addStack(ROOT, "UPDATE_COMPLETE");
  const auth = cfn.addStack("meridian-dev-AuthService-1ABC", "UPDATE_COMPLETE");
  // An earlier deploy's failure inside the nested stack must not be blamed.
  cfn.setStatus(auth.name, "UPDATE_IN_PROGRESS");
  cfn.emit(auth.name, "OldFunction", "UPDATE_FAILED", "an earlier failure", "AWS::Lambda::Function");
  cfn.setStatus(auth.name, "UPDATE_ROLLBACK_COMPLETE");
  let result = await round(initialState());
  cfn.changeSetReady();
  result = await round(result.state);

  cfn.setStatus(auth.name, "UPDATE_IN_PROGRESS", "User Initiated");
  cfn.emit(auth.name, logicalId, "UPDATE_FAILED", reason, resourceType);
  cfn.setStatus(auth.name, "UPDATE_ROLLBACK_IN_PROGRESS");
  cfn.emit(
    ROOT,
    "AuthService",
    "UPDATE_FAILED",
    `Embedded stack ${auth.id} was not successfully updated. Currently in UPDATE_ROLLBACK_IN_PROGRESS with reason: The following resource(s) failed to update: [${logicalId}].`,
    "AWS::CloudFormation::Stack",
    auth.id,
  );
  cfn.setStatus(ROOT, "UPDATE_ROLLBACK_COMPLETE");
  return result.state;
}

test("a failure inside a nested stack names the resource in it and its reason", async () => {
  const state = await failInsideAuth(
    "AWS::DynamoDB::Table",
    "UsersTable",
    'Resource handler returned message: "Table already exists"',
  );
  const result = await round(state);
  expect(result.state).toEqual({
    phase: "failed",
    logicalId: "AuthService/UsersTable",
    resourceType: "AWS::DynamoDB::Table",
    status: "UPDATE_FAILED",
    reason: 'Resource handler returned message: "Table already exists"',
  });
});

describe("a gradual deployment CodeDeploy rolled back", () => {
  const codedeploy = new CodeDeployClient({ region: "us-east-1" });
  const codedeployMock = mockClient(codedeploy);
  afterEach(() => codedeployMock.reset());
  afterAll(() => codedeployMock.restore());

  const ALARM = "meridian-dev-auth-LoginFunction-NewVersionErrors";

  test("is reported with the alarm that fired", async () => {
    codedeployMock.on(GetDeploymentCommand, { deploymentId: "d-ABCDEF123" }).resolves({
      deploymentInfo: {
        status: "Stopped",
        errorInformation: {
          code: "ALARM_ACTIVE",
          message: `One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: <${ALARM}>`,
        },
      },
    });
    const state = await failInsideAuth(
      "AWS::Lambda::Alias",
      "LoginFunctionAliaslive",
      "CodeDeploy deployment d-ABCDEF123 failed",
    );
    const result = await advance(cfn.client, target, state, codeDeployExplainer(codedeploy));
    expect(result.state).toMatchObject({
      phase: "failed",
      logicalId: "AuthService/LoginFunctionAliaslive",
      resourceType: "AWS::Lambda::Alias",
    });
    const reason = result.state.phase === "failed" ? result.state.reason : "";
    expect(reason).toContain(`rolled back d-ABCDEF123: alarm ${ALARM} fired`);
  });

  test("without CodeDeploy's answer the stack's own reason stands", async () => {
    codedeployMock.on(GetDeploymentCommand).rejects(new Error("AccessDenied"));
    const state = await failInsideAuth(
      "AWS::Lambda::Alias",
      "LoginFunctionAliaslive",
      "CodeDeploy deployment d-ABCDEF123 failed",
    );
    const result = await advance(cfn.client, target, state, codeDeployExplainer(codedeploy));
    expect(result.state).toMatchObject({ reason: "CodeDeploy deployment d-ABCDEF123 failed" });
  });

  test("alarm names are read from CodeDeploy's message, with or without brackets", () => {
    expect(activatedAlarms("... stopped. Activated alarms: <a-1>, <b-2>")).toEqual(["a-1", "b-2"]);
    expect(activatedAlarms("... stopped. Activated alarms: a-1")).toEqual(["a-1"]);
    expect(activatedAlarms("The deployment failed")).toEqual([]);
  });
});
