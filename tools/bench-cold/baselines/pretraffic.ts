import {
  BatchGetDeploymentTargetsCommand,
  CodeDeployClient,
  ListDeploymentTargetsCommand,
  PutLifecycleEventHookExecutionStatusCommand,
} from "@aws-sdk/client-codedeploy";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { Context } from "aws-lambda";
import { bare } from "./bare";

const codedeploy = new CodeDeployClient({});
const lambda = new LambdaClient({});

interface HookEvent {
  DeploymentId: string;
  LifecycleEventHookExecutionId: string;
}

/** ListDeploymentTargets, BatchGetDeploymentTargets, one Invoke and the status report: a pre-traffic hook. */
export async function handler(event: HookEvent, context: Context) {
  return bare(context, async () => {
    const deploymentId = event.DeploymentId;
    const { targetIds } = await codedeploy.send(new ListDeploymentTargetsCommand({ deploymentId }));
    const { deploymentTargets } = await codedeploy.send(
      new BatchGetDeploymentTargetsCommand({ deploymentId, targetIds }),
    );
    const info = deploymentTargets?.[0]?.lambdaTarget?.lambdaFunctionInfo;
    const invoked = await lambda.send(
      new InvokeCommand({
        FunctionName: info?.functionName,
        Qualifier: info?.targetVersion,
        Payload: Buffer.from("{}"),
      }),
    );
    JSON.parse(Buffer.from(invoked.Payload ?? []).toString("utf8"));
    await codedeploy.send(
      new PutLifecycleEventHookExecutionStatusCommand({
        deploymentId,
        lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
        status: "Succeeded",
      }),
    );
    return { healthy: true };
  });
}
