import {
  BatchGetDeploymentTargetsCommand,
  CodeDeployClient,
  ListDeploymentTargetsCommand,
  PutLifecycleEventHookExecutionStatusCommand,
} from "@aws-sdk/client-codedeploy";
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from "@aws-sdk/client-lambda";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { PreTrafficHook } from "../../../src/pretraffic/domain/hook";
import { createPreTrafficHandler } from "../../../src/pretraffic/handler";
import { createPreTrafficHookFromConfig } from "../../../src/pretraffic/wiring";
import { captureOutput, testObservability } from "../../support/handler-test";

/** The hook's entry point: CodeDeploy's lifecycle event in, a verdict reported, logged and counted. */

const EVENT = { DeploymentId: "d-ABCDEF123", LifecycleEventHookExecutionId: "exec-1" };
const CONTEXT = { functionName: "meridian-dev-auth-pretraffic" } as Context;

describe("the pre-traffic handler", () => {
  const output = captureOutput();

  const hookAnswering = (healthy: boolean): PreTrafficHook & { runs: string[][] } => {
    const runs: string[][] = [];
    return {
      runs,
      run: async (deploymentId, executionId) => {
        runs.push([deploymentId, executionId]);
        return {
          healthy,
          detail: healthy ? "answered 400" : "answered 502",
          functionName: "login",
          version: "7",
        };
      },
    };
  };

  test("runs the hook for the event's deployment and execution, logs the verdict and counts a pass", async () => {
    const hook = hookAnswering(true);
    const handler = createPreTrafficHandler({ hook, ...testObservability("auth") });

    const outcome = await handler(EVENT, CONTEXT);

    expect(outcome).toMatchObject({ healthy: true, version: "7" });
    expect(hook.runs).toEqual([["d-ABCDEF123", "exec-1"]]);
    expect(output.metricNames()).toEqual(expect.arrayContaining(["ColdStart", "PreTrafficPassed"]));
    expect(output.logs()).toContainEqual(
      expect.objectContaining({
        level: "INFO",
        message: "Pre-traffic smoke test",
        deploymentId: "d-ABCDEF123",
      }),
    );
  });

  test("a failed smoke test is logged as an error and counted as PreTrafficFailed", async () => {
    const handler = createPreTrafficHandler({ hook: hookAnswering(false), ...testObservability("auth") });

    await handler(EVENT, CONTEXT);

    expect(output.metricNames()).toContain("PreTrafficFailed");
    expect(output.metricNames()).not.toContain("PreTrafficPassed");
    expect(output.logs()).toContainEqual(
      expect.objectContaining({ level: "ERROR", message: "Pre-traffic smoke test", detail: "answered 502" }),
    );
  });
});

describe("the pre-traffic hook's composition (createPreTrafficHookFromConfig)", () => {
  const codedeploy = mockClient(CodeDeployClient);
  const lambda = mockClient(LambdaClient);
  afterAll(() => {
    codedeploy.restore();
    lambda.restore();
  });

  test("smoke-tests the deployment's target version with its SMOKE_REQUESTS kind and reports to CodeDeploy", async () => {
    codedeploy.on(ListDeploymentTargetsCommand).resolves({ targetIds: ["login:live"] });
    codedeploy.on(BatchGetDeploymentTargetsCommand).resolves({
      deploymentTargets: [
        {
          lambdaTarget: {
            lambdaFunctionInfo: { functionName: "meridian-dev-auth-login", targetVersion: "7" },
          },
        },
      ],
    });
    codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      // The SDK wraps the bytes in a blob adapter; the hook reads them as bytes.
      Payload: Buffer.from(
        JSON.stringify({ statusCode: 400, body: "{}" }),
      ) as unknown as InvokeCommandOutput["Payload"],
    });
    const hook = createPreTrafficHookFromConfig(
      { SMOKE_REQUESTS: JSON.stringify({ "meridian-dev-auth-login": "api" }) },
      { codedeploy: new CodeDeployClient({}), lambda: new LambdaClient({}) },
    );

    const outcome = await hook.run("d-ABCDEF123", "exec-1");

    expect(outcome).toMatchObject({ healthy: true, functionName: "meridian-dev-auth-login", version: "7" });
    expect(lambda.commandCalls(InvokeCommand)[0]?.args[0].input).toMatchObject({
      FunctionName: "meridian-dev-auth-login",
      Qualifier: "7",
    });
    expect(codedeploy.commandCalls(PutLifecycleEventHookExecutionStatusCommand)[0]?.args[0].input).toEqual({
      deploymentId: "d-ABCDEF123",
      lifecycleEventHookExecutionId: "exec-1",
      status: "Succeeded",
    });
  });
});
